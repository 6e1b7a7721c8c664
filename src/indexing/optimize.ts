import { noIndexError } from "../errors.js";
import type { Notice } from "../notices.js";
import { defaultAnnThreshold, type Store } from "../store/open-store.js";

/** What `optimize()` did. */
export interface OptimizeReport {
  before: { fragments: number; small: number; versions: number };
  after: { fragments: number; small: number; versions: number };
  chunks: number;
  vectorIndexBuilt: boolean;
  notices: Notice[];
  durationMs: number;
}

export interface OptimizeOptions {
  /** Chunks with vectors from which the ANN index is built. @default 20000 */
  annThreshold?: number;
  /** Build the ANN index whatever the number of vectors. @default false */
  ann?: boolean;
}

/**
 * Compacts the tables, rebuilds the full-text index, builds or rebuilds the ANN index when the
 * index holds at least `annThreshold` vectors (or with `ann`), and prunes old versions. The caller
 * holds the write lock; queries keep working meanwhile.
 */
export async function optimizeIndex(store: Store, options: OptimizeOptions = {}): Promise<OptimizeReport> {
  const started = Date.now();
  if (!store.exists) throw noIndexError(store.uri);
  const before = await store.fragmentStats();
  const notices: Notice[] = [];
  const skipped = await store.optimize();
  if (skipped) notices.push(skipped);
  await store.rebuildTextIndex();
  const chunks = await store.countChunks();
  let ann = false;
  if (
    (await store.hasVectors()) &&
    chunks > 0 &&
    (options.ann || chunks >= (options.annThreshold ?? defaultAnnThreshold))
  ) {
    await store.buildVectorIndex();
    ann = true;
  }
  const after = await store.fragmentStats();
  return { before, after, chunks, vectorIndexBuilt: ann, notices, durationMs: Date.now() - started };
}

/**
 * The upkeep after the last worker of a sharding finished: what `maintain()` finds due, and the
 * full-text index brought over every chunk (the shards' rows arrived after the first worker built
 * it; a rebuild costs about 1.5 s per 100k chunks). The caller holds the maintenance lease.
 */
export async function finishShardedUpkeep(store: Store, options: { annThreshold?: number } = {}): Promise<Notice[]> {
  await store.refresh();
  if (!store.exists) return [];
  const notices = [...(await store.maintain(options)), ...(await store.tidyMeta())];
  const text = await store.textIndexStats();
  if ((await store.countChunks()) > 0 && (!text || text.unindexed > 0)) await store.rebuildTextIndex();
  return notices;
}
