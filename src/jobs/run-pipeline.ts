import { storageOptionsFromEnv } from "../config/storage-env.js";
import type { IndexOptions, IndexProgress, IndexReport } from "../indexing/types.js";
import { type GemIndex, type OpenIndexOptions, openIndex } from "../open-index.js";
import type { Pipeline } from "./load-pipeline.js";
import { type RunRecord, toRunRecord } from "./run-history.js";

export interface RunPipelineOptions {
  /** Environment for GEMINI_API_KEY / GEMINI_BASE_URL (e.g. `process.env`). */
  env?: Record<string, string | undefined>;
  /** Working directory for displayed paths. */
  cwd?: string;
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
  /** See IndexOptions.collectGarbage (the CLI turns it on). */
  collectGarbage?: boolean;
  /** Passed to openIndex (retry policy, timeouts). */
  open?: Partial<OpenIndexOptions>;
  /** This run is one shard of several workers running the pipeline at once (see IndexOptions.shard). */
  shard?: IndexOptions["shard"];
}

/** The index options a pipeline sets for each of its runs. */
export function pipelineIndexOptions(pipeline: Pipeline): IndexOptions {
  return {
    chunking: pipeline.chunking,
    followSymlinks: pipeline.followSymlinks,
    batch: pipeline.batch?.mode,
    batchThreshold: pipeline.batch?.threshold,
    tier: pipeline.limits?.tier,
    rpm: pipeline.limits?.rpm,
    tpm: pipeline.limits?.tpm,
    maxCostUsd: pipeline.limits?.maxCostUsd,
  };
}

/** Opens a pipeline's index with the pipeline's embedding settings. */
export function openPipelineIndex(pipeline: Pipeline, options: RunPipelineOptions = {}): Promise<GemIndex> {
  return openIndex({
    uri: pipeline.index,
    env: options.env,
    cwd: options.cwd,
    embeddingModel: pipeline.embedding?.model,
    dimensions: pipeline.embedding?.dimensions,
    taskTypes: pipeline.embedding?.taskTypes,
    storageOptions: pipelineStorageOptions(pipeline, options.env),
    ...options.open,
  });
}

/** The pipeline's storage options under the environment's (credentials and endpoint set there win). */
function pipelineStorageOptions(
  pipeline: Pipeline,
  env: Record<string, string | undefined> | undefined,
): Record<string, string> | undefined {
  if (!pipeline.storageOptions) return undefined;
  return { ...pipeline.storageOptions, ...(env ? storageOptionsFromEnv(env) : {}) };
}

/**
 * One incremental run of a pipeline: indexes its sources into its index with its settings
 * (collecting Batch API jobs that finished since the last run first), holding the index's write
 * lock, and appends the run to the index's history. A second run of the same index while one is
 * going throws IndexLockedError (exit code 5) and records nothing.
 */
export async function runPipeline(
  pipeline: Pipeline,
  options: RunPipelineOptions = {},
): Promise<{ report: IndexReport; record: RunRecord }> {
  const index = await openPipelineIndex(pipeline, options);
  try {
    const report = await index.index(pipeline.sources, {
      ...pipelineIndexOptions(pipeline),
      collectGarbage: options.collectGarbage,
      shard: options.shard,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const record = toRunRecord(pipeline.name, report);
    await index.recordRun(record, { keep: pipeline.history?.keep });
    return { report, record };
  } finally {
    await index.close();
  }
}

/** The history of a pipeline's index, newest first. */
export async function pipelineRuns(
  pipeline: Pipeline,
  options: { env?: Record<string, string | undefined>; limit?: number } = {},
): Promise<RunRecord[]> {
  const index = await openIndex({
    uri: pipeline.index,
    env: options.env,
    storageOptions: pipelineStorageOptions(pipeline, options.env),
  });
  try {
    return await index.runs({ pipeline: pipeline.name, limit: options.limit });
  } finally {
    await index.close();
  }
}
