import { stat } from "node:fs/promises";
import type { ErrorInfo } from "../errors.js";
import { toErrorInfo } from "../errors.js";
import { isRemoteUri } from "../store/uri.js";
import { IndexRun } from "./index-run.js";
import { type RepairAction, repairIndex } from "./repair-index.js";
import type { IndexContext } from "./run-context.js";
import type { IndexOptions, IndexReport } from "./types.js";

/** Options of a repair: the re-indexing part takes the options of an index run that apply. */
export type RepairOptions = Pick<
  IndexOptions,
  "signal" | "onProgress" | "annThreshold" | "collectGarbage" | "chunking"
>;

/** What a repair did. */
export interface RepairResult {
  /** What was rebuilt, salvaged, removed and marked (see RepairAction). */
  actions: RepairAction[];
  /** The run that re-indexed the documents whose chunks were lost (absent when none were). */
  reindexed?: IndexReport;
  /**
   * Documents still waiting to be re-indexed, and why: `needs-api-key` (the index has vectors and
   * no key is configured), `failed` (the re-indexing run stopped: see `reindexed.error`), or
   * `not-found` (their files are gone or moved; a run over their new place indexes them).
   */
  pending?: { documents: number; reason: "needs-api-key" | "failed" | "not-found"; error?: ErrorInfo };
}

/**
 * Makes the index whole with the least work, holding the write lock (the caller's): the
 * structural repair first (see repairIndex), then a run that re-indexes only the documents whose
 * chunks were lost, from their own folders, reusing every vector still present, and finishes the
 * full-text and ANN indexes. Nothing else in those folders is indexed or removed.
 */
export async function runRepair(context: IndexContext, options: RepairOptions = {}): Promise<RepairResult> {
  const { store, embedder } = context;
  const repaired = await repairIndex(store, embedder?.config ?? null);
  const result: RepairResult = { actions: repaired.actions };
  if (repaired.stale.length === 0) {
    await store.maintain({ annThreshold: options.annThreshold });
    return result;
  }
  const meta = await store.readMeta();
  if (meta?.embedding && !embedder) {
    result.pending = { documents: repaired.stale.length, reason: "needs-api-key" };
    await store.maintain({ annThreshold: options.annThreshold });
    return result;
  }
  const roots = [...new Set(repaired.stale.map((record) => record.source))];
  const only = new Set(repaired.stale.map((record) => record.path));
  const run = await new IndexRun(roots, context, options, { only }).run();
  result.reindexed = run.report;
  let left = 0;
  for await (const _ of store.documents({ status: "stale" })) left++;
  if (run.error !== undefined) result.pending = { documents: left, reason: "failed", error: toErrorInfo(run.error) };
  else if (left > 0) result.pending = { documents: left, reason: "not-found" };
  return result;
}

/** A root whose documents were removed because its folder (or file) no longer exists. */
export interface PrunedRoot {
  path: string;
  documents: number;
}

/**
 * Removes the documents of roots whose folder or file no longer exists (deleted, or moved where
 * no run has looked yet), and forgets those roots, holding the write lock (the caller's).
 * Object-store roots are left alone.
 */
export async function pruneMissingRoots(context: IndexContext): Promise<PrunedRoot[]> {
  const { store } = context;
  const counts = new Map<string, number>();
  for await (const record of store.documents()) counts.set(record.source, (counts.get(record.source) ?? 0) + 1);
  const pruned: PrunedRoot[] = [];
  for (const root of store.roots) {
    if (isRemoteUri(root.path)) continue;
    const gone = await stat(root.path).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === "ENOENT" || error.code === "ENOTDIR",
    );
    if (!gone) continue;
    await store.removeRoot(root.id);
    pruned.push({ path: root.path, documents: counts.get(root.path) ?? 0 });
  }
  return pruned;
}
