import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { ErrorObject } from "ajv";
import { Cron } from "croner";
import { resolveUri } from "../config/settings.js";
import { ConfigError } from "../errors.js";
import type { IndexSource } from "../indexing/types.js";

/** A pipeline file as written (see pipelines/schema.json). */
export interface PipelineDefinition {
  name: string;
  description?: string;
  sources: IndexSource[];
  index: string;
  embedding?: { model?: string; dimensions?: number };
  chunking?: { maxTokens?: number; overlapTokens?: number };
  batch?: { mode?: "auto" | "always" | "never"; threshold?: number };
  schedule?: { cron: string; timezone?: string };
  limits?: { rpm?: number; tpm?: number; maxCostUsd?: number };
}

/** A loaded pipeline: validated, with paths resolved against the file's folder. */
export interface Pipeline extends PipelineDefinition {
  /** The pipeline file. */
  file: string;
  /** Absolute index location (URIs unchanged). */
  index: string;
  sources: IndexSource[];
}

/** Types a pipeline written in TypeScript or JavaScript (the same shape as the JSON files). */
export function definePipeline(definition: PipelineDefinition): PipelineDefinition {
  return definition;
}

const require = createRequire(import.meta.url);
const schemaPath = require.resolve("../../pipelines/schema.json");
let validate: (((value: unknown) => boolean) & { errors?: ErrorObject[] | null }) | undefined;

async function validator() {
  if (!validate) {
    const { Ajv } = (await import("ajv")) as unknown as {
      Ajv: new (options: object) => { compile: (schema: object) => typeof validate };
    };
    const schema = JSON.parse(await readFile(schemaPath, "utf8")) as object;
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema)!;
  }
  return validate!;
}

/** "field: problem — fix" for one schema violation, in words a user can act on. */
function describe(error: ErrorObject): string {
  const field = error.instancePath ? error.instancePath.slice(1).replaceAll("/", ".") : "(top level)";
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${field === "(top level)" ? "" : `${field}: `}missing "${String(params.missingProperty)}" — add it`;
    case "additionalProperties":
      return `${field}: unknown field "${String(params.additionalProperty)}" — remove it or check its spelling`;
    case "enum":
      return `${field}: must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
    case "type":
      return `${field}: must be ${String(params.type)}`;
    case "pattern":
      return `${field}: must use only letters, digits, ".", "_" and "-"`;
    default:
      return `${field}: ${error.message ?? "is invalid"}`;
  }
}

/**
 * Finds a pipeline by file path or by name (`pipelines/<name>.json` under `cwd`), validates it
 * against pipelines/schema.json and resolves its paths. Every error names the file, the field
 * and the fix.
 */
export async function loadPipeline(reference: string, options: { cwd: string }): Promise<Pipeline> {
  const candidates = /[\\/]|\.json$/i.test(reference)
    ? [path.resolve(options.cwd, reference)]
    : [path.resolve(options.cwd, "pipelines", `${reference}.json`), path.resolve(options.cwd, `${reference}.json`)];
  let file: string | undefined;
  for (const candidate of candidates) {
    if (
      await stat(candidate).then(
        (info) => info.isFile(),
        () => false,
      )
    ) {
      file = candidate;
      break;
    }
  }
  if (!file) throw new ConfigError(`No pipeline "${reference}": looked for ${candidates.join(" and ")}.`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  const check = await validator();
  if (!check(value)) {
    const problems = (check.errors ?? []).map(describe);
    throw new ConfigError(`${file}: ${problems.join("; ")}. See pipelines/schema.json.`);
  }
  const definition = value as PipelineDefinition;
  const folder = path.dirname(file);
  if (
    definition.chunking?.maxTokens !== undefined &&
    definition.chunking.overlapTokens !== undefined &&
    definition.chunking.overlapTokens * 2 >= definition.chunking.maxTokens
  ) {
    throw new ConfigError(`${file}: chunking.overlapTokens must be less than half of chunking.maxTokens.`);
  }
  if (definition.schedule) {
    try {
      new Cron(definition.schedule.cron, { timezone: definition.schedule.timezone, paused: true }).stop();
    } catch (error) {
      throw new ConfigError(
        `${file}: schedule: ${(error as Error).message} — use 5 fields (minute hour day month weekday) or 6 with seconds first, and an IANA time zone.`,
        { cause: error },
      );
    }
  }
  return {
    ...definition,
    file,
    index: resolveUri(definition.index, folder),
    sources: definition.sources.map((source) => ({ ...source, root: path.resolve(folder, source.root) })),
  };
}

/** Every pipeline file in a folder (default `pipelines/`), loaded; files that fail to load are reported, not thrown. */
export async function loadPipelines(folder: string): Promise<{ pipelines: Pipeline[]; errors: ConfigError[] }> {
  const { readdir } = await import("node:fs/promises");
  const names = (await readdir(folder).catch(() => [] as string[]))
    .filter((name) => name.endsWith(".json") && name !== "schema.json")
    .sort();
  const pipelines: Pipeline[] = [];
  const errors: ConfigError[] = [];
  for (const name of names) {
    try {
      pipelines.push(await loadPipeline(path.join(folder, name), { cwd: folder }));
    } catch (error) {
      if (error instanceof ConfigError) errors.push(error);
      else throw error;
    }
  }
  return { pipelines, errors };
}
