import { setTimeout as sleep } from "node:timers/promises";
import type { BatchEmbedder, Embedder } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import { type CollectReport, collectBatchJobs } from "./batch-jobs.js";

export interface CollectBatchesOptions {
  /** Only this job (our id or the service's). */
  only?: string;
  /** Poll until no job is running. @default false */
  wait?: boolean;
  /** Milliseconds between polls. @default 30000 */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Writes the documents of finished Batch API jobs (all active jobs, or `only`); with `wait`, polls
 * until no job is running. Maintains the tables when documents were written. The caller holds the
 * write lock.
 */
export async function collectBatches(
  store: Store,
  provider: { batch: BatchEmbedder; embedder: Embedder },
  options: CollectBatchesOptions = {},
): Promise<CollectReport> {
  const total: CollectReport = {
    collected: [],
    running: [],
    dropped: [],
    documents: 0,
    chunks: 0,
    retried: 0,
    failures: [],
  };
  for (;;) {
    const step = await collectBatchJobs({
      store,
      batch: provider.batch,
      embedder: provider.embedder,
      signal: options.signal,
      only: options.only,
    });
    total.collected.push(...step.collected);
    total.dropped.push(...step.dropped);
    total.documents += step.documents;
    total.chunks += step.chunks;
    total.retried += step.retried;
    total.failures.push(...step.failures);
    total.running = step.running;
    if (!options.wait || step.running.length === 0) break;
    await sleep(options.pollMs ?? 30_000, undefined, { signal: options.signal });
  }
  if (total.documents > 0) await store.maintain();
  return total;
}
