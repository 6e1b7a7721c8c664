import path from "node:path";
import { AdaptiveConcurrency } from "../embedding/adaptive-concurrency.js";
import { type EmbedItem, embedChunks } from "../embedding/embed-chunks.js";
import { RequestPacer } from "../embedding/request-pacer.js";
import { BudgetExceededError, ConfigError } from "../errors.js";
import type { BatchEmbedder, Embedder, MediaDescriber } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import type { DocumentRecord } from "../store/types.js";
import { BatchJobBuilder, collectBatchJobs, isActive, listBatchJobs } from "./batch-jobs.js";
import { DocumentWriter, type PendingDocument } from "./pending-document.js";
import { planRemovals } from "./plan-removals.js";
import { type Prepared, prepareDocuments } from "./prepare-documents.js";
import { prepareIndex } from "./prepare-index.js";
import { scanSources } from "./scan-sources.js";
import type { IndexOptions, IndexProgress, IndexReport, IndexSource } from "./types.js";

export interface IndexContext {
  store: Store;
  /** Absent without an API key: the index is then lexical only. */
  embedder?: Embedder;
  /** The Batch API, when the provider has one. */
  batch?: BatchEmbedder;
  /** Captions images and transcribes audio; absent without an API key. */
  describer?: MediaDescriber;
  /** Relative roots resolve against it. */
  cwd: string;
  /** Subscribes to the provider's retry notices for the duration of the run. */
  onRetry?: (listener: (notice: RetryEvent) => void) => () => void;
}

/** A provider retry, as the run sees it. */
export interface RetryEvent {
  delayMs: number;
  reason: string;
  /** HTTP status of the failed attempt (429: rate limited). */
  status?: number;
}

/** The result of a run: the report, and the error that ended it early, if any. */
export interface IndexRunResult {
  report: IndexReport;
  /** Set when the run stopped early (provider failure, abort); work finished before it is committed. */
  error?: unknown;
}

/**
 * Refuses a request that would take the run's estimated cost past `maxCostUsd` (counting requests
 * already sent but not answered). No limit, or an unknown price, guards nothing.
 */
function budgetGuard(
  embedder: Embedder,
  maxCostUsd: number | undefined,
  spentTokens: () => number,
): ((tokens: number) => void) | undefined {
  const price = embedder.pricing?.usdPerMillionTokens;
  if (maxCostUsd === undefined || price === undefined) return undefined;
  let sent = 0;
  return (tokens) => {
    // Tokens of every request sent so far, answered or still in flight.
    sent = Math.max(sent, spentTokens()) + tokens;
    const projected = (sent / 1_000_000) * price;
    if (projected > maxCostUsd) {
      throw new BudgetExceededError(
        `Stopped at the cost limit of $${maxCostUsd} (the next request would bring this run to ~$${projected.toFixed(4)}); finished documents are kept and the next run continues.`,
      );
    }
  };
}

/** Absolute POSIX form of a root, as discovery records it in `SourceFile.source`. */
export function normalizeRoot(root: string, cwd: string): string {
  return path.resolve(cwd, root).split(path.sep).join("/");
}

type EmbedTag = { document: PendingDocument; index: number };

/** Chunks needing embedding above which `batch: "auto"` uses the Batch API. */
export const defaultBatchThreshold = 20_000;

/**
 * One incremental run over `roots`, in phases: scan (discover files, skip those whose size and
 * mtime match the manifest), index (hash, load and chunk the rest, reuse vectors of chunks whose
 * text was embedded before, embed the others in batched requests, commit documents in groups —
 * chunks first, manifest last), remove (documents whose files are gone), optimize. A bad file
 * is a line in the report; a provider failure or an abort stops the run with finished work
 * committed and is returned as `error`.
 */
export async function indexFiles(
  roots: Array<string | IndexSource>,
  context: IndexContext,
  options: IndexOptions = {},
): Promise<IndexRunResult> {
  const startedAt = new Date();
  const { store, embedder } = context;
  const { signal } = options;
  const report: IndexReport = {
    outcome: "completed",
    uri: store.uri,
    embedding: embedder?.config ?? null,
    files: { seen: 0, new: 0, changed: 0, unchanged: 0, removed: 0, failed: 0, skipped: 0 },
    failures: [],
    chunks: { written: 0, embedded: 0, reused: 0 },
    requests: 0,
    tokens: 0,
    durationMs: 0,
    notices: [],
    startedAt: startedAt.toISOString(),
  };
  const batchMode = options.batch ?? "auto";
  if (batchMode === "always" && !(embedder && context.batch)) {
    throw new ConfigError(
      embedder
        ? "--batch always needs Gemini's native Batch API, which this GEMINI_BASE_URL does not offer."
        : "--batch always needs GEMINI_API_KEY.",
    );
  }
  await store.refresh();
  report.notices.push(...(await prepareIndex(store, report.embedding, { reset: options.reset })));

  const progress: IndexProgress = {
    phase: "scanning",
    filesSeen: 0,
    filesToIndex: 0,
    filesIndexed: 0,
    chunksEmbedded: 0,
    requests: 0,
    tokens: 0,
  };
  const emit = () => options.onProgress?.({ ...progress });
  const adaptive = new AdaptiveConcurrency(options.concurrency ?? 4);
  const unsubscribe = context.onRetry?.((notice) => {
    if (notice.status === 429) adaptive.rateLimited();
    progress.retrying = { delayMs: notice.delayMs, reason: notice.reason };
    emit();
  });

  let runError: unknown;
  let committed = 0;
  const skippedReasons = new Map<string, number>();
  const sources = roots.map((root) =>
    typeof root === "string"
      ? { root: normalizeRoot(root, context.cwd) }
      : { ...root, root: normalizeRoot(root.root, context.cwd) },
  );
  const rootSet = sources.map((source) => source.root);
  const manifest = new Map<string, DocumentRecord>();
  const batch = batchMode !== "never" && embedder ? context.batch : undefined;
  try {
    let waiting = new Map<string, { job: string; hash: string }>();
    if (embedder && context.batch && (await listBatchJobs(store)).some(isActive)) {
      // Finished Batch API jobs are written first, so the diff below sees their documents as indexed.
      progress.phase = "collecting";
      emit();
      const collected = await collectBatchJobs({ store, batch: context.batch, embedder, signal });
      report.batch = {
        collected: {
          jobs: collected.collected,
          documents: collected.documents,
          chunks: collected.chunks,
          retried: collected.retried,
        },
        waiting: 0,
        running: collected.running,
      };
      if (collected.collected.length > 0)
        report.notices.push(
          `Wrote ${collected.documents} documents from finished batch job(s) ${collected.collected.join(", ")}.`,
        );
      for (const job of collected.dropped)
        report.notices.push(`Batch job ${job} did not finish; its documents are indexed again.`);
      const running = (await listBatchJobs(store)).filter(isActive).map((job) => job.id);
      waiting = await (await store.batchTables()).waiting(running);
    }
    for await (const record of store.documents()) manifest.set(record.path, record);
    const scan = await scanSources(sources, manifest, {
      cwd: context.cwd,
      include: options.include,
      exclude: options.exclude,
      signal,
      onFile: () => {
        progress.filesSeen++;
        if (progress.filesSeen % 100 === 0) emit();
      },
    });
    report.files.seen = scan.seen.size;
    report.files.unchanged = scan.unchanged;
    report.files.skipped = scan.skipped;
    report.files.failed += scan.failures.length;
    report.failures.push(...scan.failures);
    progress.phase = "indexing";
    progress.filesToIndex = scan.work.length;
    emit();

    // Only hashes found here are looked up, so a new corpus costs no lookups at all; documents
    // with no chunk in the index are appended rather than merged.
    const knownHashes = embedder ? new Set<string>() : undefined;
    const pathsWithChunks = new Set<string>();
    if (scan.work.length > 0) {
      const vectors = await store.hasVectors();
      for await (const { path: chunkPath, hash } of store.chunkKeys()) {
        pathsWithChunks.add(chunkPath);
        if (vectors) knownHashes?.add(hash);
      }
    }
    const writer = new DocumentWriter(
      store,
      (entries) => {
        for (const entry of entries) {
          if (knownHashes) for (const chunk of entry.chunks) knownHashes.add(chunk.hash);
          if (entry.change) {
            report.files[entry.change]++;
            report.chunks.written += entry.chunks.length;
            progress.filesIndexed++;
          }
        }
        emit();
      },
      { maxChunks: options.commitEvery, collectGarbage: options.collectGarbage },
    );

    /**
     * Routes each prepared item: failures and touches to the writer, complete documents too; yields documents that need
     * embedding.
     */
    async function* incomplete(prepared: AsyncIterable<Prepared>): AsyncGenerator<PendingDocument> {
      for await (const item of prepared) {
        if (item.type === "waiting") {
          report.batch!.waiting++;
          progress.filesToIndex--;
        } else if (item.type === "skipped") {
          report.files.skipped++;
          skippedReasons.set(item.reason, (skippedReasons.get(item.reason) ?? 0) + 1);
          progress.filesToIndex--;
        } else if (item.type === "touched") {
          report.files.unchanged++;
          writer.touch(item.record);
        } else if (item.type === "failed") {
          report.files.failed++;
          report.failures.push({ path: item.file.path, reason: item.reason });
          const { file } = item;
          await writer.add({
            record: {
              path: file.path,
              source: file.source,
              hash: item.hash,
              size: file.size,
              mtimeMs: file.mtimeMs,
              status: "failed",
              error: item.reason,
              chunks: 0,
              indexedAt: new Date().toISOString(),
            },
            chunks: [],
            fresh: !pathsWithChunks.has(file.path),
          });
          progress.filesToIndex--;
        } else {
          const { document } = item;
          document.fresh = !pathsWithChunks.has(document.record.path);
          report.chunks.reused += document.reused;
          if (document.missing === 0) await writer.add(document.entry());
          else yield document;
        }
      }
    }

    async function* toEmbed(
      documents: AsyncIterable<PendingDocument> | Iterable<PendingDocument>,
    ): AsyncGenerator<EmbedItem<EmbedTag>> {
      for await (const document of documents) {
        for (const [index, chunk] of document.chunks.entries()) {
          if (!chunk.vector)
            yield {
              text: chunk.text,
              tokens: chunk.tokens,
              title: document.title,
              media: chunk.media,
              tag: { document, index },
            };
        }
      }
    }

    /**
     * With a Batch API: documents are held back until more than the threshold of chunks need
     * embedding ("auto"; at once with "always"), then parked for one batch job; below it, the
     * held documents are embedded synchronously. Returns what is left to embed synchronously.
     */
    async function* throughBatch(documents: AsyncIterable<PendingDocument>): AsyncGenerator<PendingDocument> {
      if (!batch) {
        yield* documents;
        return;
      }
      const threshold = batchMode === "always" ? 0 : (options.batchThreshold ?? defaultBatchThreshold);
      const held: PendingDocument[] = [];
      let missing = 0;
      let builder: BatchJobBuilder | undefined;
      for await (const document of documents) {
        // The Batch API takes text lines only: documents embedded from media bytes go synchronously.
        if (document.hasMedia) {
          yield document;
          continue;
        }
        if (builder) {
          await builder.park(document);
          continue;
        }
        held.push(document);
        missing += document.missing;
        if (missing > threshold) {
          builder = await BatchJobBuilder.start(store, batch);
          for (const parked of held.splice(0)) await builder.park(parked);
        }
      }
      if (!builder) {
        yield* held;
        return;
      }
      progress.phase = "submitting";
      emit();
      const job = await builder.submit(batch, signal);
      report.batch ??= { collected: { jobs: [], documents: 0, chunks: 0, retried: 0 }, waiting: 0, running: [] };
      report.batch.submitted = { job: job.id, batchId: job.batchId!, documents: job.documents, inputs: job.inputs };
      report.batch.running.push(job.id);
      report.notices.push(
        `Submitted batch job ${job.id} (${job.batchId}) for ${job.inputs} chunks of ${job.documents} documents; ` +
          "the next run (or `gemindex batch collect`) writes them once it finishes.",
      );
    }

    try {
      const prepared = prepareDocuments(scan.work, {
        store,
        knownHashes,
        chunking: embedder ? { maxInputTokens: embedder.limits.maxInputTokens, ...options.chunking } : options.chunking,
        maxFileBytes: options.maxFileBytes,
        describer: context.describer,
        embedMediaBytes: embedder?.embedMedia !== undefined,
        waiting,
        onSuperseded: async (path, job) => (await store.batchTables()).remove(job, [path]),
        signal,
      });
      report.batch ??=
        waiting.size > 0
          ? { collected: { jobs: [], documents: 0, chunks: 0, retried: 0 }, waiting: 0, running: [] }
          : undefined;
      if (embedder) {
        const batches = embedChunks(toEmbed(throughBatch(incomplete(prepared))), embedder, {
          adaptive,
          pacer: new RequestPacer({ rpm: options.rpm, tpm: options.tpm }),
          beforeRequest: budgetGuard(embedder, options.maxCostUsd, () => report.tokens),
          // Stopping lets paid requests in flight finish and their documents be committed.
          stop: signal,
          onRequest: (info) => {
            report.requests++;
            report.tokens += info.tokens;
            progress.requests++;
            progress.tokens += info.tokens;
            progress.chunksEmbedded += info.inputs;
            progress.retrying = undefined;
            emit();
          },
        });
        for await (const batch of batches) {
          report.chunks.embedded += batch.length;
          for (const { tag, vector } of batch)
            if (tag.document.setVector(tag.index, vector)) await writer.add(tag.document.entry());
        }
      } else {
        // Without an embedder every document is complete as soon as it is chunked.
        for await (const _ of incomplete(prepared)) {
          // Nothing to embed.
        }
      }
    } catch (error) {
      runError = signal?.aborted ? signal.reason : error;
    }
    // Whatever happened, documents that are complete are committed.
    await writer.flush();
    committed = writer.committedDocuments;

    if (!runError) {
      progress.phase = "removing";
      emit();
      const plan = planRemovals(manifest, scan.seen, rootSet, scan.problemRoots, options.prune ?? false);
      report.notices.push(...plan.notices);
      if (plan.paths.length > 0) {
        await store.removeDocuments(plan.paths);
        report.files.removed = plan.paths.length;
      }
    }
    if (committed > 0 || report.files.removed > 0) {
      progress.phase = "optimizing";
      emit();
      report.notices.push(...(await store.maintain({ annThreshold: options.annThreshold })));
    }
  } catch (error) {
    runError ??= signal?.aborted ? signal.reason : error;
  } finally {
    unsubscribe?.();
  }

  for (const [reason, count] of skippedReasons) report.notices.push(`Skipped ${count} file(s): ${reason}.`);
  report.durationMs = Date.now() - startedAt.getTime();
  if (embedder?.pricing) report.estimatedCostUsd = (report.tokens / 1_000_000) * embedder.pricing.usdPerMillionTokens;
  progress.phase = "done";
  emit();
  if (!embedder) report.notices.push("No GEMINI_API_KEY: indexed for lexical (BM25) search only.");
  try {
    await store.writeValue("lastRun", {
      ...report,
      failures: report.failures.slice(0, 100),
      error: runError ? String((runError as Error).message ?? runError) : undefined,
    });
  } catch (error) {
    runError ??= error;
  }
  return runError === undefined ? { report } : { report, error: runError };
}
