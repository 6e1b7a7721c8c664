import type { Notice } from "../notices.js";
import type { BatchEmbedder, Embedder } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import { BatchJobBuilder, type BatchJobRecord, collectBatchJobs, isActive, listBatchJobs } from "./batch-jobs.js";
import type { PendingDocument } from "./pending-document.js";
import type { FileFailure, IndexReport } from "./types.js";

/** Chunks needing embedding above which `batch: "auto"` uses the Batch API. */
export const defaultBatchThreshold = 20_000;

/** The Batch API section of a run report. */
export type BatchSection = NonNullable<IndexReport["batch"]>;

/** A batch section with nothing in it yet. */
export function emptyBatchSection(): BatchSection {
  return { collected: { jobs: [], documents: 0, chunks: 0, retried: 0 }, waiting: 0, running: [] };
}

/** What a run learns from the jobs of earlier runs before it looks at the files. */
export interface CollectedBeforeRun {
  section: BatchSection;
  notices: Notice[];
  /** Documents parked in jobs still running, with the content hash they were parked with. */
  waiting: Map<string, { job: string; hash: string }>;
  /** Collected documents the service refused an input of (recorded as failed). */
  failures: FileFailure[];
}

/**
 * Writes the documents of finished Batch API jobs first, so the run's diff sees them as indexed,
 * and returns the documents still waiting in running jobs (a run must not index those again).
 */
export async function collectBeforeRun(options: {
  store: Store;
  batch: BatchEmbedder;
  embedder: Embedder;
  signal?: AbortSignal;
}): Promise<CollectedBeforeRun> {
  const collected = await collectBatchJobs(options);
  const section: BatchSection = {
    collected: {
      jobs: collected.collected,
      documents: collected.documents,
      chunks: collected.chunks,
      retried: collected.retried,
    },
    waiting: 0,
    running: collected.running,
  };
  const notices: Notice[] = [];
  if (collected.collected.length > 0)
    notices.push({
      kind: "batch-collected",
      jobs: collected.collected,
      documents: collected.documents,
      message: `Wrote ${collected.documents} documents from finished batch job(s) ${collected.collected.join(", ")}.`,
    });
  for (const job of collected.dropped)
    notices.push({
      kind: "batch-dropped",
      job,
      message: `Batch job ${job} did not finish; its documents are indexed again.`,
    });
  const running = (await listBatchJobs(options.store)).filter(isActive).map((job) => job.id);
  const waiting = await (await options.store.batchTables()).waiting(running);
  return { section, notices, waiting, failures: collected.failures };
}

/** True when the index records a Batch API job that is not finished yet. */
export async function hasActiveBatchJobs(store: Store): Promise<boolean> {
  return (await listBatchJobs(store)).some(isActive);
}

export interface BatchRouteOptions {
  store: Store;
  /** The Batch API; without it every document goes on to synchronous embedding. */
  batch?: BatchEmbedder;
  /** Chunks needing embedding above which documents go to one batch job (0: all of them). */
  threshold: number;
  signal?: AbortSignal;
  /** Told before the job's inputs are uploaded and the job is created. */
  onSubmitting?: () => void;
  /** Told once the job is created at the service. */
  onSubmitted?: (job: BatchJobRecord) => void;
}

/**
 * Share of the threshold embedded synchronously at once, while the run cannot yet tell whether
 * it is above the threshold: loading and embedding overlap in the runs below it (most runs), and
 * a run above it pays full price for at most this share of the threshold's chunks.
 */
const AT_ONCE_SHARE = 0.1;

/**
 * Routes documents between the Batch API and synchronous embedding. The first documents, up to a
 * tenth of `threshold` chunks, go to synchronous embedding at once; later ones are held back
 * until more than `threshold` chunks need embedding in all, then parked for one batch job
 * (submitted once the stream ends); below it, the held documents are yielded to be embedded
 * synchronously. Documents embedded from media bytes always go synchronously: the Batch API takes
 * text lines; so do the parts of a document committed in parts.
 */
export async function* routeThroughBatch(
  documents: AsyncIterable<PendingDocument>,
  options: BatchRouteOptions,
): AsyncGenerator<PendingDocument> {
  const { batch, store } = options;
  if (!batch) {
    yield* documents;
    return;
  }
  const held: PendingDocument[] = [];
  const atOnce = Math.floor(options.threshold * AT_ONCE_SHARE);
  let missing = 0;
  let builder: BatchJobBuilder | undefined;
  for await (const document of documents) {
    // A part of a large document is committed as soon as it is embedded, never parked in a job.
    if (document.hasMedia || document.part) {
      yield document;
      continue;
    }
    if (builder) {
      await builder.park(document);
      continue;
    }
    if (held.length === 0 && missing + document.missing <= atOnce) {
      missing += document.missing;
      yield document;
      continue;
    }
    held.push(document);
    missing += document.missing;
    if (missing > options.threshold) {
      builder = await BatchJobBuilder.start(store, batch);
      for (const parked of held.splice(0)) await builder.park(parked);
    }
  }
  if (!builder) {
    yield* held;
    return;
  }
  options.onSubmitting?.();
  options.onSubmitted?.(await builder.submit(batch, options.signal));
}
