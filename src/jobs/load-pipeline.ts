import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.js";
import type { IndexSource } from "../indexing/types.js";
import { resolveUri } from "../store/uri.js";
import type { PipelineDefinition } from "./pipeline-schema.js";

export type { PipelineDefinition } from "./pipeline-schema.js";

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

/**
 * Finds a pipeline by file path or by name (`pipelines/<name>.json` under `cwd`), validates it
 * against the pipeline schema (./pipeline-schema.ts) and resolves its paths. Every error names the file, the field
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
  // Loaded here, not at start-up: zod costs every command ~50 ms of CPU, and only pipelines need it.
  const { checkPipeline } = await import("./pipeline-schema.js");
  const checked = checkPipeline(value);
  if ("problems" in checked)
    throw new ConfigError(`${file}: ${checked.problems.join("; ")}. See pipelines/schema.json.`);
  const { definition } = checked;
  const folder = path.dirname(file);
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
