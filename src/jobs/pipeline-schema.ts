import { Cron } from "croner";
import { z } from "zod";

/**
 * The one source of truth for a pipeline file's shape. The TypeScript type is inferred from it,
 * `loadPipeline` validates with it, and `pipelines/schema.json` (for editors) is generated from
 * it by `npm run schema` (a test fails when the committed file differs). Defaults are stated as
 * annotations only: the library applies its own defaults, so parsing never fills them in.
 */

const source = z
  .object({
    root: z
      .string()
      .min(1)
      .describe(
        "A folder, a file or a glob pattern (`docs/**/*.md`, expanded with fast-glob, never following symbolic " +
          "links), relative to this pipeline file.",
      ),
    include: z
      .array(z.string())
      .optional()
      .describe("Only files matching these .gitignore-style patterns, relative to the root."),
    exclude: z
      .array(z.string())
      .optional()
      .describe("Skip files matching these .gitignore-style patterns (in addition to .gitignore)."),
  })
  .strict();

const embedding = z
  .object({
    model: z
      .string()
      .optional()
      .meta({
        description: "Embedding model.",
        default: "gemini-embedding-001",
        examples: ["gemini-embedding-001", "gemini-embedding-2-preview"],
      }),
    dimensions: z.number().int().min(128).max(3072).optional().meta({ description: "Vector size.", default: 768 }),
    taskTypes: z
      .enum(["auto", "off"])
      .optional()
      .meta({
        description:
          "Task types for a new index: auto embeds documents as RETRIEVAL_DOCUMENT with their title and queries as " +
          "RETRIEVAL_QUERY (gemini-embedding-001) where Gemini's native API exists, plain text elsewhere; off embeds " +
          "plain text on both sides. An existing index keeps the pairing it was built with.",
        default: "auto",
      }),
  })
  .strict()
  .describe("The index's embedding configuration (fixed for the life of the index).");

const chunking = z
  .object({
    maxTokens: z
      .number()
      .int()
      .min(32)
      .max(8192)
      .optional()
      .meta({ description: "Target chunk size in tokens.", default: 512 }),
    overlapTokens: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "Tokens shared by consecutive chunks (less than half of maxTokens).", default: 64 }),
  })
  .strict()
  .superRefine((value, context) => {
    if (
      value.maxTokens !== undefined &&
      value.overlapTokens !== undefined &&
      value.overlapTokens * 2 >= value.maxTokens
    )
      context.addIssue({
        code: "custom",
        path: ["overlapTokens"],
        message: "must be less than half of chunking.maxTokens — lower it or raise maxTokens",
      });
  });

const batch = z
  .object({
    mode: z
      .enum(["auto", "always", "never"])
      .optional()
      .meta({ description: "When to embed through the Batch API (half price, results within 24 h).", default: "auto" }),
    threshold: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: "With mode auto: chunks to embed above which the Batch API is used.", default: 20000 }),
  })
  .strict();

const schedule = z
  .object({
    cron: z.string().meta({
      description: "Cron expression: 5 fields (minute hour day month weekday) or 6 with seconds first.",
      examples: ["0 * * * *", "30 2 * * *"],
    }),
    timezone: z
      .string()
      .optional()
      .meta({
        description: "IANA time zone for the cron expression.",
        default: "UTC",
        examples: ["Europe/Berlin", "America/New_York"],
      }),
  })
  .strict()
  .superRefine((value, context) => {
    try {
      new Cron(value.cron, { timezone: value.timezone, paused: true }).stop();
    } catch (error) {
      context.addIssue({
        code: "custom",
        message:
          `${(error as Error).message} — use 5 fields (minute hour day month weekday) or 6 with seconds first, ` +
          "and an IANA time zone",
      });
    }
  });

const limits = z
  .object({
    tier: z
      .enum(["free", "1", "2", "3"])
      .optional()
      .describe(
        "Gemini usage tier whose published embedding limits preset rpm and tpm " +
          "(free: 100 inputs and 30,000 tokens a minute). Without it the quota is learned from the service.",
      ),
    rpm: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Embedding requests per minute to stay under (Gemini counts each input as one)."),
    tpm: z.number().int().min(1).optional().describe("Embedding tokens per minute to stay under."),
    maxCostUsd: z
      .number()
      .gt(0)
      .optional()
      .describe(
        "Stop a run once its estimated embedding cost reaches this many US dollars " +
          "(finished work is kept; the next run continues).",
      ),
  })
  .strict();

/** A pipeline file, as written. */
export const pipelineSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of this schema, for editor completion."),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
      .describe(
        "Unique pipeline name (letters, digits, '.', '_', '-'): `gemindex run <name>` finds pipelines/<name>.json.",
      ),
    description: z.string().optional(),
    sources: z.array(source).min(1).describe("Folders (or files) to index."),
    followSymlinks: z
      .boolean()
      .optional()
      .describe(
        "Follow symbolic links that lead out of the source folders. Off by default: a link to /etc or ~/.ssh " +
          "inside a docs folder would send that content to the embedding service; such links are reported instead.",
      ),
    index: z
      .string()
      .min(1)
      .describe("Index location: a folder relative to this file, or a LanceDB URI (s3://…, gs://…, az://…)."),
    storageOptions: z
      .record(z.string(), z.string())
      .optional()
      .meta({
        description:
          "Extra LanceDB storage options for an index on object storage, e.g. region, endpoint, timeouts " +
          "(https://lancedb.com/docs/storage/). Keep credentials in the environment (AWS_ACCESS_KEY_ID, …), " +
          "which wins over these.",
        examples: [{ aws_region: "eu-west-1", timeout: "60s" }],
      }),
    embedding: embedding.optional(),
    chunking: chunking.optional(),
    batch: batch.optional(),
    schedule: schedule.optional(),
    watch: z
      .boolean()
      .optional()
      .meta({
        description:
          "Also re-index whenever files under the sources change: `gemindex schedule` watches them and makes one " +
          "incremental run per burst of changes.",
        default: false,
      }),
    limits: limits.optional(),
    history: z
      .object({
        keep: z.number().int().min(1).optional().meta({
          description: "Runs of this pipeline the index keeps in its history (older ones are dropped).",
          default: 200,
        }),
      })
      .strict()
      .optional()
      .describe("The run history `gemindex runs` shows."),
  })
  .strict()
  .meta({
    $id: "https://github.com/gemindex/gemindex/pipelines/schema.json",
    title: "gemindex pipeline",
    description:
      "A scheduled, incremental re-index: which folders go into which index, with which embedding model, " +
      "how often. Paths are relative to this file.",
  });

/** A pipeline file as written (see pipelines/schema.json). */
export type PipelineDefinition = z.infer<typeof pipelineSchema>;

/** `pipelines/schema.json`: the JSON Schema editors complete pipeline files with. */
export function pipelineJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(pipelineSchema, { target: "draft-7" }) as Record<string, unknown>;
}

/**
 * Validates a parsed pipeline file. Returns the definition, or one "field: problem — fix" line per
 * problem (`value` is the parsed file, to tell a missing field from a wrong one).
 */
export function checkPipeline(value: unknown): { definition: PipelineDefinition } | { problems: string[] } {
  const result = pipelineSchema.safeParse(value);
  if (result.success) return { definition: result.data };
  return { problems: result.error.issues.map((issue) => describeIssue(issue, value)) };
}

/** "field: problem — fix" for one schema violation, in words a user can act on. */
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const parent = issue.path.slice(0, -1).join(".");
  const field = issue.path.join(".");
  const at = (name: string) => (name === "" ? "" : `${name}: `);
  switch (issue.code) {
    case "unrecognized_keys":
      return (
        `${at(field) || "(top level): "}unknown field ${issue.keys.map((key) => `"${key}"`).join(", ")} — ` +
        `remove it or check its spelling`
      );
    case "invalid_type":
      if (valueAt(value, issue.path) === undefined)
        return `${at(parent)}missing "${String(issue.path.at(-1))}" — add it`;
      return `${field}: must be ${issue.expected === "int" ? "an integer" : issue.expected}`;
    case "invalid_value":
      return `${field}: must be one of ${issue.values.map((allowed) => JSON.stringify(allowed)).join(", ")}`;
    case "invalid_format":
      return issue.format === "regex"
        ? `${field}: must use only letters, digits, ".", "_" and "-" (and start with a letter or digit)`
        : `${field}: ${issue.message}`;
    case "too_small":
      return issue.origin === "array"
        ? `${field}: give at least ${issue.minimum}`
        : `${field}: must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
    case "too_big":
      return `${field}: must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    default:
      return `${at(field)}${issue.message}`;
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
