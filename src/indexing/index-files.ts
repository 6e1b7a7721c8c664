import path from "node:path";
import { chunkDocument } from "../chunking/chunk-document.js";
import { AdaptiveConcurrency } from "../embedding/adaptive-concurrency.js";
import { embedChunks, type EmbedItem } from "../embedding/embed-chunks.js";
import { RequestPacer } from "../embedding/request-pacer.js";
import { GemindexError, LoadError, isAbort } from "../errors.js";
import { isSupportedPath } from "../loaders/file-types.js";
import { loadDocument } from "../loaders/load-document.js";
import type { Embedder } from "../providers/types.js";
import { discoverFiles } from "../sources/discover-files.js";
import { hashFile } from "../sources/fingerprint.js";
import type { SourceFile } from "../sources/types.js";
import type { Store } from "../store/open-store.js";
import type { DocumentRecord } from "../store/types.js";
import { DocumentWriter, type PendingDocument, prepareDocument } from "./pending-document.js";
import { prepareIndex } from "./prepare-index.js";
import type { IndexOptions, IndexProgress, IndexReport } from "./types.js";
import { planRemovals } from "./plan-removals.js";

export interface IndexContext {
  store: Store;
  /** Absent without an API key: the index is then lexical only. */
  embedder?: Embedder;
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

/** Absolute POSIX form of a root, as discovery records it in `SourceFile.source`. */
export function normalizeRoot(root: string, cwd: string): string {
  return path.resolve(cwd, root).split(path.sep).join("/");
}

/**
 * One incremental run over `roots`: discovers files, skips unchanged ones (same size and mtime,
 * or same content hash), loads and chunks new and changed ones, reuses vectors of chunks whose
 * text was embedded before, embeds the rest in batched requests, commits documents in groups
 * (chunks first, manifest last), and removes documents whose files are gone. A bad file is a
 * line in the report; a provider failure or an abort stops the run with finished work committed.
 */
export async function indexFiles(roots: string[], context: IndexContext, options: IndexOptions = {}): Promise<IndexRunResult> {
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
  await store.refresh();
  report.notices.push(...(await prepareIndex(store, report.embedding, { reset: options.reset })));

  const progress: IndexProgress = { phase: "scanning", filesSeen: 0, filesToIndex: 0, filesIndexed: 0, chunksEmbedded: 0, requests: 0, tokens: 0 };
  const emit = () => options.onProgress?.({ ...progress });
  const adaptive = new AdaptiveConcurrency(options.concurrency ?? 4);
  const unsubscribe = context.onRetry?.((notice) => {
    if (notice.status === 429) adaptive.rateLimited();
    progress.retrying = { delayMs: notice.delayMs, reason: notice.reason };
    emit();
  });

  const manifest = new Map<string, DocumentRecord>();
  for await (const record of store.documents()) manifest.set(record.path, record);
  // Only hashes found here are looked up, so a new corpus costs no lookups at all.
  let knownHashes: Set<string> | undefined;
  if (embedder) {
    knownHashes = new Set<string>();
    for await (const hash of store.chunkHashes()) knownHashes.add(hash);
  }

  const writer = new DocumentWriter(store, (entries) => {
    for (const entry of entries) {
      if (knownHashes) for (const chunk of entry.chunks) knownHashes.add(chunk.hash);
      if (entry.change) {
        report.files[entry.change]++;
        report.chunks.written += entry.chunks.length;
        progress.filesIndexed++;
      }
    }
    emit();
  }, { maxChunks: options.commitEvery });
  const seen = new Set<string>();
  const problemRoots = new Set<string>();
  const rootSet = roots.map((root) => normalizeRoot(root, context.cwd));

  const fail = async (file: SourceFile, hash: string, reason: string) => {
    report.files.failed++;
    report.failures.push({ path: file.path, reason });
    await writer.add({
      record: { path: file.path, source: file.source, hash, size: file.size, mtimeMs: file.mtimeMs, status: "failed", error: reason, chunks: 0, indexedAt: new Date().toISOString() },
      chunks: [],
    });
  };

  async function* documentsToEmbed(): AsyncGenerator<EmbedItem<{ document: PendingDocument; index: number }>> {
    const discovery = discoverFiles(rootSet, {
      cwd: context.cwd,
      include: options.include,
      exclude: options.exclude,
      signal,
      // Images, archives and other formats without a loader are passed over quietly (counted).
      accept: (filePath: string) => {
        if (isSupportedPath(filePath)) return true;
        report.files.skipped++;
        return false;
      },
      onProblem: (error: LoadError) => {
        report.files.failed++;
        report.failures.push({ path: error.path, reason: error.reason });
        if (rootSet.includes(error.path)) problemRoots.add(error.path);
      },
    });
    for await (const file of discovery) {
      signal?.throwIfAborted();
      seen.add(file.path);
      report.files.seen++;
      progress.filesSeen++;
      const previous = manifest.get(file.path);
      if (previous?.status === "indexed" && previous.size === file.size && previous.mtimeMs === file.mtimeMs) {
        report.files.unchanged++;
        continue;
      }
      let hash: string;
      try {
        hash = await hashFile(file.path, signal);
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        await fail(file, "", error instanceof LoadError ? error.reason : `cannot read (${(error as Error).message})`);
        continue;
      }
      if (previous?.status === "indexed" && previous.hash === hash) {
        report.files.unchanged++;
        writer.touch({ ...previous, size: file.size, mtimeMs: file.mtimeMs });
        continue;
      }
      progress.phase = "indexing";
      progress.filesToIndex++;
      emit();

      let document: PendingDocument;
      try {
        const loaded = await loadDocument(file, { maxBytes: options.maxFileBytes, signal });
        document = await prepareDocument(loaded, hash, chunkDocument(loaded, options.chunking), store, knownHashes, previous ? "changed" : "new");
      } catch (error) {
        if (isAbort(error, signal)) throw error;
        if (error instanceof LoadError) {
          await fail(file, hash, error.reason);
          continue;
        }
        if (error instanceof GemindexError) throw error;
        await fail(file, hash, `could not be processed (${(error as Error).message})`);
        continue;
      }
      report.chunks.reused += document.reused;
      if (document.missing === 0) {
        await writer.add(document.entry());
        continue;
      }
      for (const [index, chunk] of document.chunks.entries()) {
        if (!chunk.vector) yield { text: chunk.text, tokens: chunk.tokens, title: document.title, tag: { document, index } };
      }
    }
  }

  let runError: unknown;
  try {
    if (embedder) {
      const batches = embedChunks(documentsToEmbed(), embedder, {
        adaptive,
        pacer: new RequestPacer({ rpm: options.rpm, tpm: options.tpm }),
        signal,
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
        for (const item of batch) {
          const { document, index } = item.tag;
          if (document.setVector(index, item.vector)) await writer.add(document.entry());
        }
      }
    } else {
      for await (const _ of documentsToEmbed()) {
        // Without an embedder every document completes inside the generator.
      }
    }
  } catch (error) {
    runError = signal?.aborted ? signal.reason : error;
  }

  try {
    await writer.flush();
    if (!runError) {
      progress.phase = "removing";
      emit();
      const plan = planRemovals(manifest, seen, rootSet, problemRoots, options.prune ?? false);
      report.notices.push(...plan.notices);
      if (plan.paths.length > 0) {
        await store.removeDocuments(plan.paths);
        report.files.removed = plan.paths.length;
      }
    }
    if (writer.committedDocuments > 0 || report.files.removed > 0 || !store.exists) {
      progress.phase = "optimizing";
      emit();
      await store.ensureTextIndex();
      const skipped = await store.optimize();
      if (skipped) report.notices.push(skipped);
    }
  } catch (error) {
    runError ??= error;
  } finally {
    unsubscribe?.();
  }

  report.durationMs = Date.now() - startedAt.getTime();
  if (embedder?.pricing) report.estimatedCostUsd = (report.tokens / 1_000_000) * embedder.pricing.usdPerMillionTokens;
  progress.phase = "done";
  emit();
  if (!embedder) report.notices.push("No GEMINI_API_KEY: indexed for lexical (BM25) search only.");
  try {
    await store.writeValue("lastRun", { ...report, failures: report.failures.slice(0, 100), error: runError ? String((runError as Error).message ?? runError) : undefined });
  } catch (error) {
    runError ??= error;
  }
  return runError === undefined ? { report } : { report, error: runError };
}
