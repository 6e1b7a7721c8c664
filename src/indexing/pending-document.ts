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
  /** One part of a document committed in parts: `chunks` are appended; its last part commits the document. */
  part?: DocumentPart;
}

/** Where a part belongs, and the ordinals whose rows of an earlier attempt it replaces. */
export interface DocumentPart {
  document: PartedDocument;
  replace: number[];
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
  /** Set when these chunks are one part of a larger document (see PartedDocument). */
  readonly part?: DocumentPart;
  #missing: number;
  #failure?: string;

  constructor(
    record: DocumentRecord,
    chunks: StoredChunk[],
    title: string | undefined,
    reused: number,
    missing: number,
    change: "new" | "changed",
    part?: DocumentPart,
  ) {
    this.record = record;
    this.change = change;
    this.chunks = chunks;
    this.title = title;
    this.reused = reused;
    this.#missing = missing;
    this.part = part;
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

  /** Why the document cannot be indexed, once a chunk (of any of its parts) was refused. */
  get failure(): string | undefined {
    return this.#failure ?? this.part?.document.failure;
  }

  /** True the first time a failure is reported for the document (its parts share one). */
  claimFailure(): boolean {
    return this.part ? this.part.document.claimFailure() : true;
  }

  /** What to commit once nothing is missing: the document, or its failure (no chunks) when a chunk was refused. */
  entry(): WriteEntry {
    if (this.part) {
      if (this.#failure !== undefined) this.part.document.fail(this.#failure);
      const failed = this.part.document.failure !== undefined;
      return { record: this.record, chunks: failed ? [] : this.chunks, change: this.change, part: this.part };
    }
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
  const rows = chunkRows(document, chunks);
  const reused = await takeKnownVectors(rows, known);
  const record = { ...documentRecord(document, hash), chunks: rows.length };
  const missing = known ? rows.length - reused : 0;
  return new PendingDocument(record, rows, document.title, reused, missing, change);
}

/** The manifest row of a document indexed now (`chunks`: 0 until they are counted). */
export function documentRecord(document: LoadedDocument, hash: string): DocumentRecord {
  const { file } = document;
  return {
    path: file.path,
    source: file.source,
    kind: document.kind,
    hash,
    size: file.size,
    mtimeMs: file.mtimeMs,
    status: "indexed",
    chunks: 0,
    title: document.title,
    indexedAt: new Date().toISOString(),
  };
}

/** Sets the vectors of rows whose text was embedded before; returns how many were found. */
export async function takeKnownVectors(rows: StoredChunk[], known: KnownVectors | undefined): Promise<number> {
  let reused = 0;
  const candidates = known ? rows.filter((row) => known.has(row.hash)) : [];
  if (candidates.length === 0) return reused;
  const vectors = await known!.get(candidates.map((row) => row.hash));
  for (const row of rows) {
    const vector = vectors.get(row.hash);
    if (vector) {
      row.vector = vector;
      reused++;
    }
  }
  return reused;
}

/** The chunk rows of a document's chunks, each with the hash that identifies what gets embedded. */
export function chunkRows(document: LoadedDocument, chunks: Array<Chunk & { media?: MediaContent }>): StoredChunk[] {
  const { file } = document;
  const title = document.title;
  return chunks.map((chunk) => ({
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
}

/**
 * A document too large to hold whole (more chunks than one commit takes), committed in parts:
 * each part is appended as it is ready, hidden from readers by a marker (see Store.beginParts),
 * and the commit of the last one writes the manifest row and removes the old version. Rows a
 * killed run already wrote for this version (`written`) are neither embedded nor written again.
 */
export class PartedDocument {
  /** The manifest row of the version being written; `chunks` is set once the last part is known. */
  readonly record: DocumentRecord;
  /** Rows of this version already in the index: ordinal → chunk hash. */
  readonly written: ReadonlyMap<number, string>;
  #parts = 0;
  #committed = 0;
  #ended = false;
  #begun?: Promise<void>;
  #failure?: string;
  #failureClaimed = false;

  constructor(record: DocumentRecord, written: ReadonlyMap<number, string>) {
    this.record = record;
    this.written = written;
  }

  /** Counts a part made; `last` with the document's chunk count when it is the last one. */
  addPart(last?: { chunks: number }): void {
    this.#parts++;
    if (last) {
      this.#ended = true;
      this.record.chunks = last.chunks;
    }
  }

  /** Records why the document cannot be indexed (the first reason wins); its parts then write nothing. */
  fail(reason: string): void {
    this.#failure ??= reason;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  claimFailure(): boolean {
    const first = !this.#failureClaimed;
    this.#failureClaimed = true;
    return first;
  }

  /** The row the last part commits: the document, or its failure. */
  get finalRecord(): DocumentRecord {
    if (this.#failure === undefined) return this.record;
    return { ...this.record, status: "failed", error: this.#failure, chunks: 0 };
  }

  /** Commits one part (the marker first, once); true when it completed the document. */
  async commit(store: Store, part: WriteEntry & { part: DocumentPart }): Promise<boolean> {
    this.#begun ??= store.beginParts(this.record);
    await this.#begun;
    if (this.#failure === undefined) await store.appendPart(this.record, part.chunks, part.part.replace);
    this.#committed++;
    if (!this.#ended || this.#committed < this.#parts) return false;
    await store.finishParts(this.finalRecord);
    return true;
  }
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
  #flushing: Promise<void> = Promise.resolve();
  /** Documents and parts of documents committed. */
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
    // A part is a commit's worth by itself: holding several would hold the document again.
    const full = this.#chunkCount >= this.#maxChunks || this.#entries.length >= this.#maxDocuments;
    if (full || entry.part || waited >= this.#maxWaitMs) await this.flush();
  }

  /** Records a new mtime for a file whose content did not change (so the next run skips hashing it). */
  touch(record: DocumentRecord): void {
    this.#touched.push(record);
  }

  async flush(): Promise<void> {
    // One commit at a time: the parts of a document must find its marker written.
    const flushed = this.#flushing.then(() => this.#flush());
    this.#flushing = flushed.catch(() => {});
    await flushed;
  }

  async #flush(): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    this.#chunkCount = 0;
    if (entries.length > 0) {
      const whole = entries.filter((entry) => !entry.part);
      await this.#store.commitDocuments(whole);
      const committed: WriteEntry[] = [...whole];
      for (const entry of entries) {
        if (!entry.part) continue;
        const { document } = entry.part;
        const done = await document.commit(this.#store, entry as WriteEntry & { part: DocumentPart });
        // A document in parts counts as committed (new or changed) with its last part only.
        const { change: _change, ...part } = entry;
        committed.push(done && document.failure === undefined ? { ...entry, record: document.finalRecord } : part);
      }
      this.committedDocuments += entries.length;
      this.#onCommit(committed);
      if (this.#collectGarbage) relieveMemoryPressure();
    }
    const touched = this.#touched;
    this.#touched = [];
    if (touched.length > 0) await this.#store.updateDocuments(touched);
  }
}
