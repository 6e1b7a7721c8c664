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
