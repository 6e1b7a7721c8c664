import type { IndexReport } from "../indexing/types.js";
import { metaKeys, metaPrefixes } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";

/** One pipeline run, as `gemindex runs` shows it. */
export interface RunRecord {
  pipeline: string;
  startedAt: string;
  endedAt: string;
  outcome: IndexReport["outcome"] | "locked";
  files: IndexReport["files"];
  chunks: IndexReport["chunks"];
  requests: number;
  tokens: number;
  estimatedCostUsd?: number;
  failures: IndexReport["failures"];
  error?: IndexReport["error"];
  /** Files a run that ended early did not reach (see IndexReport.filesLeft). */
  filesLeft?: number;
  /** The run ended before discovery had walked every source: `filesLeft` is a lower bound. */
  moreFilesLeft?: boolean;
}

/** Runs of one pipeline an index keeps in its history by default (older ones are dropped). */
export const defaultHistoryRuns = 200;

/**
 * Appends a run to the index's history (kept in the index, so it travels with it), keeping the
 * last `keep` runs of its pipeline: older ones are dropped in one delete once a tenth more (at
 * least 10) have piled up, and the meta table is compacted as it grows, so a pipeline that runs
 * every hour for a year keeps a small, fast history.
 */
export async function recordRun(store: Store, record: RunRecord, options: { keep?: number } = {}): Promise<void> {
  await store.writeValue(metaKeys.run(record.startedAt, record.pipeline), {
    ...record,
    failures: record.failures.slice(0, 50),
  });
  const keep = Math.max(1, options.keep ?? defaultHistoryRuns);
  const keys = (await store.readKeys(metaPrefixes.run)).filter((key) => key.endsWith(`:${record.pipeline}`));
  if (keys.length > keep + Math.max(10, Math.ceil(keep / 10))) {
    // Keys hold the ISO start time first: sorted, the oldest come first.
    keys.sort();
    await store.deleteValues(keys.slice(0, keys.length - keep));
  }
  await store.tidyMeta();
}

/** Runs of the index, newest first. */
export async function listRuns(
  store: Store,
  options: { pipeline?: string; limit?: number } = {},
): Promise<RunRecord[]> {
  const runs = (await store.readValues<RunRecord>(metaPrefixes.run))
    .map((entry) => entry.value)
    .filter((run) => !options.pipeline || run.pipeline === options.pipeline);
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return runs.slice(0, options.limit ?? 50);
}

/** A run record from an index report. */
export function toRunRecord(pipeline: string, report: IndexReport): RunRecord {
  return {
    pipeline,
    startedAt: report.startedAt,
    endedAt: new Date(Date.parse(report.startedAt) + report.durationMs).toISOString(),
    outcome: report.outcome,
    files: report.files,
    chunks: report.chunks,
    requests: report.requests,
    tokens: report.tokens,
    estimatedCostUsd: report.estimatedCostUsd,
    failures: report.failures,
    error: report.error,
    filesLeft: report.filesLeft,
    ...(report.moreFilesLeft ? { moreFilesLeft: true } : {}),
  };
}
