import type { Chunk } from "../chunking/types.js";
import type { LoadedDocument, MediaContent } from "../loaders/types.js";
import { hashBytes, hashText } from "../sources/fingerprint.js";
import type { Store } from "../store/open-store.js";
import type { DocumentRecord, StoredChunk } from "../store/types.js";
import type { KnownVectors } from "./known-vectors.js";
import { relieveMemoryPressure } from "./memory-pressure.js";

/** What the writer commits for one document; `change` is set for documents (re)indexed in this run. */
export interface WriteEntry {
  record: DocumentRecord;
  chunks: StoredChunk[];
  change?: "new" | "changed";
  /** No chunk of this path exists in the index: its chunks can be appended. */
  fresh?: boolean;
}

/** A document on its way to the index: chunks waiting for vectors. */
export class PendingDocument {
  readonly record: DocumentRecord;
  readonly change: "new" | "changed";
  /** Set by the run when no chunk of this path exists in the index. */
  fresh = false;
  readonly chunks: StoredChunk[];
  readonly title?: string;
  /** Chunks whose vector came from the index instead of the API. */
  readonly reused: number;
  #missing: number;
  #failure?: string;

  constructor(
    record: DocumentRecord,
    chunks: StoredChunk[],
    title: string | undefined,
    reused: number,
    missing: number,
    change: "new" | "changed",
  ) {
    this.record = record;
    this.change = change;
    this.chunks = chunks;
    this.title = title;
    this.reused = reused;
    this.#missing = missing;
  }

  /** True when some chunk is embedded from media bytes (never through the Batch API). */
  get hasMedia(): boolean {
    return this.chunks.some((chunk) => chunk.media !== undefined && !chunk.vector);
  }

  /** Chunks still without a vector. */
  get missing(): number {
    return this.#missing;
  }

  /** Stores a vector; true when it was the last one missing. */
  setVector(index: number, vector: Float32Array): boolean {
    const chunk = this.chunks[index]!;
    if (!chunk.vector) this.#missing--;
    chunk.vector = vector;
    return this.#missing === 0;
  }

  /**
   * Records that the service refused chunk `index` (its content, not the run): the document
   * fails with `reason` (the first refusal's). True when no chunk is left waiting.
   */
  fail(index: number, reason: string): boolean {
    if (!this.chunks[index]!.vector) this.#missing--;
    this.#failure ??= reason;
    return this.#missing === 0;
  }

  /** Why the document cannot be indexed, once a chunk was refused. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** What to commit once nothing is missing: the document, or its failure (no chunks) when a chunk was refused. */
  entry(): WriteEntry {
    if (this.#failure === undefined)
      return { record: this.record, chunks: this.chunks, change: this.change, fresh: this.fresh };
    return {
      record: { ...this.record, status: "failed", error: this.#failure, chunks: 0 },
      chunks: [],
      fresh: this.fresh,
    };
  }
}

/**
 * Turns a loaded document and its chunks into rows, taking vectors already paid for identical
 * chunk text (same title and text under the same embedding configuration): in the index, or in
 * the vector log of an interrupted run.
 */
export async function prepareDocument(
  document: LoadedDocument,
  hash: string,
  chunks: Array<Chunk & { media?: MediaContent }>,
  /** Vectors already paid for, or undefined for a lexical-only index. */
  known: KnownVectors | undefined,
  change: "new" | "changed",
): Promise<PendingDocument> {
  const withVectors = known !== undefined;
  const { file } = document;
  const title = document.title;
  const rows: StoredChunk[] = chunks.map((chunk) => ({
    id: `${file.path}#${chunk.ordinal}`,
    path: file.path,
    source: file.source,
    kind: document.kind,
    ordinal: chunk.ordinal,
    text: chunk.text,
    headings: chunk.headings,
    page: chunk.page,
    lineStart: chunk.lineStart,
    lineEnd: chunk.lineEnd,
    location: chunk.location,
    tokens: chunk.tokens,
    // The title (and for media chunks, the bytes) are part of what gets embedded, so of the identity.
    hash: hashText(`${title ?? ""}\u0000${chunk.text}${chunk.media ? `\u0000${hashBytes(chunk.media.data)}` : ""}`),
    ...(chunk.media ? { media: chunk.media } : {}),
  }));
  let reused = 0;
  const candidates = known ? rows.filter((row) => known.has(row.hash)) : [];
  if (candidates.length > 0) {
    const vectors = await known!.get(candidates.map((row) => row.hash));
    for (const row of rows) {
      const vector = vectors.get(row.hash);
      if (vector) {
        row.vector = vector;
        reused++;
      }
    }
  }
  const record: DocumentRecord = {
    path: file.path,
    source: file.source,
    kind: document.kind,
    hash,
    size: file.size,
    mtimeMs: file.mtimeMs,
    status: "indexed",
    chunks: rows.length,
    title,
    indexedAt: new Date().toISOString(),
  };
  return new PendingDocument(record, rows, title, reused, withVectors ? rows.length - reused : 0, change);
}

export interface DocumentWriterOptions {
  /** Commit when this many chunks are waiting. @default 2000 */
  maxChunks?: number;
  /** Commit when this many documents are waiting. @default 500 */
  maxDocuments?: number;
  /** Commit when the oldest waiting document has waited this long, so a kill loses little paid work. @default 10000 */
  maxWaitMs?: number;
  /** Run a garbage collection between commits when the heap has grown (see relieveMemoryPressure). @default false */
  collectGarbage?: boolean;
}

/**
 * Groups finished documents into few LanceDB commits (each commit is a table version, so one per
 * document would be slow and bloat the history). Callers await `add`, which is the backpressure.
 */
export class DocumentWriter {
  readonly #store: Store;
  readonly #onCommit: (entries: WriteEntry[]) => void;
  readonly #maxChunks: number;
  readonly #maxDocuments: number;
  readonly #maxWaitMs: number;
  readonly #collectGarbage: boolean;
  #oldest = 0;
  #entries: WriteEntry[] = [];
  #chunkCount = 0;
  #touched: DocumentRecord[] = [];
  committedDocuments = 0;

  constructor(store: Store, onCommit: (entries: WriteEntry[]) => void, options: DocumentWriterOptions = {}) {
    this.#store = store;
    this.#onCommit = onCommit;
    this.#maxChunks = options.maxChunks ?? 2000;
    this.#maxDocuments = options.maxDocuments ?? 500;
    this.#maxWaitMs = options.maxWaitMs ?? 10_000;
    this.#collectGarbage = options.collectGarbage ?? false;
  }

  async add(entry: WriteEntry): Promise<void> {
    if (this.#entries.length === 0) this.#oldest = Date.now();
    this.#entries.push(entry);
    this.#chunkCount += entry.chunks.length;
    const waited = Date.now() - this.#oldest;
    if (this.#chunkCount >= this.#maxChunks || this.#entries.length >= this.#maxDocuments || waited >= this.#maxWaitMs)
      await this.flush();
  }

  /** Records a new mtime for a file whose content did not change (so the next run skips hashing it). */
  touch(record: DocumentRecord): void {
    this.#touched.push(record);
  }

  async flush(): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    this.#chunkCount = 0;
    if (entries.length > 0) {
      await this.#store.commitDocuments(entries);
      this.committedDocuments += entries.length;
      this.#onCommit(entries);
      if (this.#collectGarbage) relieveMemoryPressure();
    }
    const touched = this.#touched;
    this.#touched = [];
    if (touched.length > 0) await this.#store.updateDocuments(touched);
  }
}
