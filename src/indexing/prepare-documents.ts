import { chunkDocument, chunkSections } from "../chunking/chunk-document.js";
import type { ChunkOptions } from "../chunking/types.js";
import { GemindexError, isAbort, isInputFault, LoadError } from "../errors.js";
import { loadDocument } from "../loaders/load-document.js";
import { ScannedPdfError } from "../loaders/pdf/load-pdf.js";
import type { LoadedDocument } from "../loaders/types.js";
import type { LoadWarning } from "../loaders/warnings.js";
import type { MediaDescriber } from "../providers/types.js";
import { hashFile } from "../sources/fingerprint.js";
import { fsErrorReason } from "../sources/fs-error-reason.js";
import type { SourceFile } from "../sources/types.js";
import type { Store } from "../store/open-store.js";
import type { DocumentRecord } from "../store/types.js";
import { describeMedia, linkedImageChunks, NeedsDescriberError, scannedPageReader } from "./describe-media.js";
import { type PreparedChunk, prepareInParts } from "./document-parts.js";
import type { KnownVectors } from "./known-vectors.js";
import type { PendingDocument } from "./pending-document.js";
import { readAhead } from "./read-ahead.js";
import type { WorkItem } from "./scan-sources.js";

/** What processing one work item produced. */
export type Prepared =
  /** `warnings`: what the loader or the describer noted (a fallback encoding, a converted image, …). */
  | { type: "document"; document: PendingDocument; warnings?: LoadWarning[] }
  /** The content is unchanged (only the mtime moved): the manifest row gets the new stat. */
  | { type: "touched"; record: DocumentRecord }
  | { type: "failed"; file: SourceFile; hash: string; reason: string }
  /** The same content already waits in a running Batch API job. */
  | { type: "waiting"; path: string; job: string }
  /** A file that cannot be indexed in this configuration (an image without an API key). */
  | { type: "skipped"; path: string; reason: string };

export interface PrepareOptions {
  store: Store;
  /** Vectors already paid for (index and vector log); undefined for a lexical-only index. */
  known?: KnownVectors;
  chunking?: ChunkOptions;
  /** Captions images and transcribes audio (absent without an API key). */
  describer?: MediaDescriber;
  /** Link images to their text for a multimodal embedder instead of embedding the caption alone. */
  embedMediaBytes?: boolean;
  maxFileBytes?: number;
  /** Process files that failed before even when their content did not change. @default false */
  retryFailed?: boolean;
  /** Documents parked for running batch jobs, with the content hash they were parked with. */
  waiting?: Map<string, { job: string; hash: string }>;
  /** Told when a parked document changed again: its parked copy must be dropped. */
  onSuperseded?: (path: string, job: string) => Promise<void>;
  signal?: AbortSignal;
  /** Plain text, code and Markdown above this many bytes are read and chunked a window at a time. */
  streamTextAbove?: number;
  /** Chunks per part for a document committed in parts. @default {@link DEFAULT_PART_CHUNKS} */
  partChunks?: number;
}

/**
 * Default of `PrepareOptions.partChunks`. A part's rows (with 3,072-float vectors: ~12 KB each) are
 * held until all its vectors arrive and are copied twice more on their way into LanceDB; parts of
 * 2,000 chunks peaked a 48 MB file at ~620 MB, parts of 500 at ~400 MB (`npm run bench -- big-inputs`).
 */
export const DEFAULT_PART_CHUNKS = 500;

/**
 * A document's chunks in order, then those of the images it links: computed whole, or one
 * window at a time for a streamed text file.
 */
async function* documentChunks(
  document: LoadedDocument,
  linked: Parameters<typeof linkedImageChunks>[0],
  options: PrepareOptions,
): AsyncGenerator<PreparedChunk> {
  const chunks: AsyncIterable<PreparedChunk> | Iterable<PreparedChunk> = document.stream
    ? chunkSections(document, document.stream(options.signal), options.chunking)
    : chunkDocument(document, options.chunking);
  let count = 0;
  const media = options.embedMediaBytes && document.kind === "image" ? document.media : undefined;
  const withMedia = (chunk: PreparedChunk): PreparedChunk => {
    if (media) return { ...chunk, media };
    if (options.embedMediaBytes || !chunk.media) return chunk;
    const { media: _media, ...rest } = chunk;
    return rest;
  };
  for await (const chunk of chunks) {
    count++;
    yield withMedia(chunk);
  }
  for (const chunk of linkedImageChunks(linked, count)) yield withMedia(chunk);
}

/**
 * Hashes, loads and chunks each work item in turn and takes the vectors the index already has
 * for identical chunks. A file that cannot be read or parsed, or whose content the model refuses
 * to describe (a 400 for that image, a safety stop), becomes a `failed` item with its reason;
 * aborts, run-level provider faults and errors of our own (configuration) stop the stream.
 */
export async function* prepareDocuments(
  work: AsyncIterable<WorkItem> | Iterable<WorkItem>,
  options: PrepareOptions,
): AsyncGenerator<Prepared> {
  for await (const { file, previous, content } of readAhead(work, options.signal)) {
    options.signal?.throwIfAborted();
    let hash = "";
    try {
      // A small file was read whole ahead of its turn (hashed and loaded from the same bytes); a
      // large one is hashed as a stream first, and read again only when it changed.
      const read = await (async () => (await content) ?? { hash: await hashFile(file.path, options.signal) })().catch(
        (error: unknown) => {
          if (isAbort(error, options.signal)) throw error;
          throw new LoadError(file.path, fsErrorReason(error), { cause: error });
        },
      );
      hash = read.hash;
      // Same content: nothing to do, unless the file failed and failures are retried, or its chunks
      // were found missing (stale).
      const unchanged =
        previous?.hash === hash &&
        (previous.status === "indexed" || (previous.status === "failed" && !options.retryFailed));
      if (unchanged) {
        yield { type: "touched", record: { ...previous, size: file.size, mtimeMs: file.mtimeMs } };
        continue;
      }
      const parked = options.waiting?.get(file.path);
      if (parked?.hash === hash) {
        yield { type: "waiting", path: file.path, job: parked.job };
        continue;
      }
      if (parked) await options.onSuperseded?.(file.path, parked.job);
      const loaded = await loadDocument(file, {
        bytes: "bytes" in read ? read.bytes : undefined,
        maxBytes: options.maxFileBytes,
        signal: options.signal,
        readScannedPage: scannedPageReader(file.path, options),
        streamTextAbove: options.streamTextAbove,
      });
      const {
        document,
        linked,
        warnings: describeWarnings,
      } = await describeMedia(loaded, {
        store: options.store,
        describer: options.describer,
        signal: options.signal,
      });
      const chunks = documentChunks(document, linked, options);
      const warnings = [...(loaded.warnings ?? []), ...(describeWarnings ?? [])];
      const parts = prepareInParts(document, hash, chunks, {
        store: options.store,
        known: options.known,
        change: previous ? "changed" : "new",
        partChunks: options.partChunks ?? DEFAULT_PART_CHUNKS,
        signal: options.signal,
      });
      let first = true;
      for await (const part of parts) {
        yield { type: "document", ...(first && warnings.length > 0 ? { warnings } : {}), document: part };
        first = false;
      }
    } catch (error) {
      if (isAbort(error, options.signal)) throw error;
      if (error instanceof NeedsDescriberError || error instanceof ScannedPdfError) {
        yield { type: "skipped", path: file.path, reason: error.reason };
        continue;
      }
      if (error instanceof LoadError) yield { type: "failed", file, hash, reason: error.reason };
      // The model refused this file's content (an image type, a safety stop): this file fails, the run goes on.
      else if (isInputFault(error)) yield { type: "failed", file, hash, reason: error.message };
      else if (error instanceof GemindexError) throw error;
      else yield { type: "failed", file, hash, reason: `could not be processed (${(error as Error).message})` };
    }
  }
}
