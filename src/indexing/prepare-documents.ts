import { chunkDocument } from "../chunking/chunk-document.js";
import type { Chunk, ChunkOptions } from "../chunking/types.js";
import { GemindexError, isAbort, isInputFault, LoadError } from "../errors.js";
import { loadDocument } from "../loaders/load-document.js";
import { ScannedPdfError } from "../loaders/pdf/load-pdf.js";
import type { MediaContent } from "../loaders/types.js";
import type { LoadWarning } from "../loaders/warnings.js";
import type { MediaDescriber } from "../providers/types.js";
import { hashFile } from "../sources/fingerprint.js";
import { fsErrorReason } from "../sources/fs-error-reason.js";
import type { SourceFile } from "../sources/types.js";
import type { Store } from "../store/open-store.js";
import type { DocumentRecord } from "../store/types.js";
import { describeMedia, linkedImageChunks, NeedsDescriberError, scannedPageReader } from "./describe-media.js";
import type { KnownVectors } from "./known-vectors.js";
import { type PendingDocument, prepareDocument } from "./pending-document.js";
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
      const chunks: Array<Chunk & { media?: MediaContent }> = chunkDocument(document, options.chunking);
      chunks.push(...linkedImageChunks(linked, chunks.length));
      if (options.embedMediaBytes && document.kind === "image" && document.media) {
        for (const chunk of chunks) (chunk as { media?: MediaContent }).media = document.media;
      }
      if (!options.embedMediaBytes) for (const chunk of chunks) delete chunk.media;
      const warnings = [...(loaded.warnings ?? []), ...(describeWarnings ?? [])];
      yield {
        type: "document",
        ...(warnings.length > 0 ? { warnings } : {}),
        document: await prepareDocument(document, hash, chunks, options.known, previous ? "changed" : "new"),
      };
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
