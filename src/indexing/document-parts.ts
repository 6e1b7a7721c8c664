import type { Chunk } from "../chunking/types.js";
import { isAbort, LoadError } from "../errors.js";
import type { LoadedDocument, MediaContent } from "../loaders/types.js";
import type { Store } from "../store/open-store.js";
import type { KnownVectors } from "./known-vectors.js";
import {
  chunkRows,
  documentRecord,
  PartedDocument,
  PendingDocument,
  prepareDocument,
  takeKnownVectors,
} from "./pending-document.js";

/** A chunk as prepareDocuments hands it on (media bytes for a multimodal embedder). */
export type PreparedChunk = Chunk & { media?: MediaContent };

export interface PartsOptions {
  store: Store;
  known?: KnownVectors;
  change: "new" | "changed";
  /** Chunks per part: a document with more is committed in parts of this many. */
  partChunks: number;
  signal?: AbortSignal;
}

/**
 * Turns a document's chunks, as they come, into what the run embeds and commits: one
 * PendingDocument when they fit in one part, else parts of `partChunks` chunks that share a
 * PartedDocument — so a document of any size is never held whole, and its rows already written by
 * a run that was killed are skipped (counted as reused). A read that fails once parts were made
 * (the file changed or went away) ends the document as failed with the reason: its parts go.
 */
export async function* prepareInParts(
  document: LoadedDocument,
  hash: string,
  chunks: AsyncIterable<PreparedChunk> | Iterable<PreparedChunk>,
  options: PartsOptions,
): AsyncGenerator<PendingDocument> {
  const held: PreparedChunk[] = [];
  let parted: PartedDocument | undefined;
  let count = 0;
  try {
    for await (const chunk of chunks) {
      held.push(chunk);
      count++;
      if (held.length <= options.partChunks) continue;
      parted ??= new PartedDocument(
        documentRecord(document, hash),
        await options.store.partRows({ path: document.file.path, hash }),
      );
      yield await preparePart(document, held.splice(0, options.partChunks), parted, options);
    }
  } catch (error) {
    if (!parted || !(error instanceof LoadError) || isAbort(error, options.signal)) throw error;
    parted.fail(error.reason);
    parted.addPart({ chunks: count });
    yield new PendingDocument(parted.record, [], document.title, 0, 0, options.change, {
      document: parted,
      replace: [],
    });
    return;
  }
  if (!parted) yield await prepareDocument(document, hash, held, options.known, options.change);
  else yield await preparePart(document, held, parted, options, { chunks: count });
}

/** One part: its rows (those not written by an earlier attempt), with the vectors already paid for. */
async function preparePart(
  document: LoadedDocument,
  chunks: PreparedChunk[],
  parted: PartedDocument,
  options: PartsOptions,
  last?: { chunks: number },
): Promise<PendingDocument> {
  // Counted before anything is awaited: the commit of an earlier part must not take this one for the last.
  parted.addPart(last);
  const replace: number[] = [];
  let skipped = 0;
  const rows = chunkRows(document, chunks).filter((row) => {
    const written = parted.written.get(row.ordinal);
    if (written === row.hash) skipped++;
    else if (written !== undefined) replace.push(row.ordinal);
    return written !== row.hash;
  });
  const reused = await takeKnownVectors(rows, options.known);
  const missing = options.known ? rows.length - reused : 0;
  return new PendingDocument(parted.record, rows, document.title, reused + skipped, missing, options.change, {
    document: parted,
    replace,
  });
}
