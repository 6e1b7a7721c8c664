import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import path from "node:path";
import type { EmbeddingConfig } from "../providers/types.js";

/** One vector, by the key of what was embedded (a chunk's text hash). */
export interface LoggedVector {
  key: string;
  vector: Float32Array;
}

/** The file beside the index's tables (hidden, so discovery never indexes it). */
export const vectorLogName = ".gemindex-vector-log";

const VERSION = "gemindex-vector-log 1";
/** "FVMG": the start of every frame. */
const FRAME_MAGIC = 0x474d5646;
/** Magic, record count, payload length, sha256 of the payload. */
const FRAME_HEADER_BYTES = 12 + 32;
/** Vectors read back per frame when the log is rewritten. */
const COMPACT_BATCH = 256;

/**
 * Vectors paid for and not yet committed, made durable the moment they arrive: an append-only
 * file beside a local index, so a run killed at any instant (kill -9, OOM, power loss) leaves
 * them for the next run, which takes them from here instead of paying the service again.
 *
 * Each append is one frame (length, record count and sha256 of its records), written before
 * `append` resolves (from then on only a power loss can take it) and `fdatasync`ed right after,
 * one sync for all the appends made while the previous one ran. A frame cut short by a crash
 * fails its checksum and is dropped with everything after it when the log is opened. The first
 * line names the embedding configuration: a log written with another model or size is
 * discarded, never read.
 *
 * One writer at a time: the run holding the index's write lock.
 */
export class VectorLog {
  readonly path: string;
  readonly #dimensions: number;
  readonly #handle: FileHandle;
  /** The first line: format version and embedding configuration. */
  readonly #header: Buffer;
  /** Key → byte offset of its vector. */
  readonly #offsets = new Map<string, number>();
  /** Keys the log held when it was opened (written by earlier runs). */
  readonly #inherited: ReadonlySet<string>;
  #end: number;
  #pending: Array<{ frame: Frame; resolve: () => void; reject: (error: unknown) => void }> = [];
  #writing?: Promise<void>;
  /** Written since the last sync started. */
  #unsynced = false;
  #syncing?: Promise<void>;
  #syncError: unknown;
  #closed = false;

  private constructor(file: string, dimensions: number, handle: FileHandle, header: Buffer) {
    this.path = file;
    this.#dimensions = dimensions;
    this.#handle = handle;
    this.#header = header;
    this.#end = header.length;
    this.#inherited = new Set();
  }

  /**
   * Opens (creating it when missing) the log of the local index folder `folder` for vectors of
   * `embedding`. A log of another configuration, or one whose first line cannot be read, is
   * started afresh; a torn last frame is cut off.
   */
  static async open(folder: string, embedding: EmbeddingConfig): Promise<VectorLog> {
    if (endianness() !== "LE") throw new Error("the vector log stores little-endian floats");
    const file = path.join(folder, vectorLogName);
    const header = Buffer.from(`${VERSION} ${fingerprint(embedding)}\n`, "utf8");
    const handle = await open(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      const size = (await handle.stat()).size;
      const head = Buffer.alloc(Math.min(size, header.length));
      await handle.read(head, 0, head.length, 0);
      const log = new VectorLog(file, embedding.dimensions, handle, header);
      if (size > 0 && head.equals(header)) await log.#load(header.length, size);
      else {
        await handle.truncate(0);
        await handle.write(header, 0, header.length, 0);
        await handle.datasync();
      }
      return log;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads every whole frame from `start`; the first torn or damaged one ends the log. */
  async #load(start: number, size: number): Promise<void> {
    const inherited = this.#inherited as Set<string>;
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    let at = start;
    while (at + FRAME_HEADER_BYTES <= size) {
      await this.#handle.read(head, 0, FRAME_HEADER_BYTES, at);
      const count = head.readUInt32LE(4);
      const length = head.readUInt32LE(8);
      if (head.readUInt32LE(0) !== FRAME_MAGIC || at + FRAME_HEADER_BYTES + length > size) break;
      const payload = Buffer.alloc(length);
      await this.#handle.read(payload, 0, length, at + FRAME_HEADER_BYTES);
      if (!createHash("sha256").update(payload).digest().equals(head.subarray(12))) break;
      const keys = readKeys(payload, count, this.#dimensions);
      if (!keys) break;
      for (const { key, offset } of keys) {
        this.#offsets.set(key, at + offset);
        inherited.add(key);
      }
      at += FRAME_HEADER_BYTES + length;
    }
    if (at < size) await this.#handle.truncate(at);
    this.#end = at;
  }

  /** Vectors in the log. */
  get size(): number {
    return this.#offsets.size;
  }

  has(key: string): boolean {
    return this.#offsets.has(key);
  }

  /** True when `key` was in the log before this process opened it (paid for by an earlier run). */
  inherited(key: string): boolean {
    return this.#inherited.has(key);
  }

  /** The vectors of those `keys` the log holds. */
  async read(keys: Iterable<string>): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const reads: Array<Promise<unknown>> = [];
    for (const key of keys) {
      const offset = this.#offsets.get(key);
      if (offset === undefined || found.has(key)) continue;
      const vector = new Float32Array(this.#dimensions);
      found.set(key, vector);
      reads.push(this.#handle.read(new Uint8Array(vector.buffer), 0, vector.byteLength, offset));
    }
    await Promise.all(reads);
    return found;
  }

  /**
   * Makes `entries` durable against a crash of this process: resolves once they are written to the
   * file (kill -9 and OOM cannot lose them any more). Syncing to the disk (power loss) follows in
   * the background, one `fdatasync` for every append made meanwhile; a sync that fails makes the
   * next append fail.
   */
  append(entries: readonly LoggedVector[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the vector log is closed"));
    if (this.#syncError) return Promise.reject(this.#syncError);
    if (entries.length === 0) return Promise.resolve();
    const frame = encodeFrame(entries, this.#dimensions);
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ frame, resolve, reject });
      this.#startWriting();
    });
  }

  #startWriting(): void {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
      // An append made after the loop's last look.
      if (this.#pending.length > 0) this.#startWriting();
    });
  }

  #startSyncing(): void {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
      if (this.#unsynced && !this.#syncError) this.#startSyncing();
    });
  }

  /** Writes waiting frames, all of them in one call, until none wait; each write is then synced. */
  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const start = this.#end;
      try {
        await this.#handle.writev(
          batch.map(({ frame }) => frame.bytes),
          start,
        );
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
        continue;
      }
      let at = start;
      for (const { frame } of batch) {
        for (const { key, offset } of frame.keys) this.#offsets.set(key, at + offset);
        at += frame.bytes.length;
      }
      this.#end = at;
      for (const waiting of batch) waiting.resolve();
      this.#unsynced = true;
      this.#startSyncing();
    }
  }

  async #sync(): Promise<void> {
    while (this.#unsynced) {
      this.#unsynced = false;
      try {
        await this.#handle.datasync();
      } catch (error) {
        this.#syncError ??= error;
        return;
      }
    }
  }

  /**
   * Keeps only the vectors `keep` accepts (those not yet committed), rewriting the log beside
   * itself and renaming it into place; with none kept the file is removed. A crash leaves the old
   * log or the new one, whole. The log is closed afterwards.
   */
  async compact(keep: (key: string) => boolean): Promise<void> {
    await this.#settle();
    const kept = [...this.#offsets.keys()].filter(keep);
    this.#closed = true;
    try {
      if (kept.length === 0) {
        await rm(this.path, { force: true });
        return;
      }
      if (kept.length === this.#offsets.size) return;
      const next = await open(`${this.path}.new`, "w", 0o644);
      try {
        let at = (await next.write(this.#header, 0, this.#header.length, 0)).bytesWritten;
        for (let index = 0; index < kept.length; index += COMPACT_BATCH) {
          const keys = kept.slice(index, index + COMPACT_BATCH);
          const vectors = await this.read(keys);
          const frame = encodeFrame(
            keys.map((key) => ({ key, vector: vectors.get(key)! })),
            this.#dimensions,
          );
          at += (await next.write(frame.bytes, 0, frame.bytes.length, at)).bytesWritten;
        }
        await next.datasync();
      } finally {
        await next.close();
      }
      await rename(`${this.path}.new`, this.path);
    } finally {
      await this.#handle.close();
    }
  }

  /** Waits for appends in progress; closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#settle();
    this.#closed = true;
    await this.#handle.close();
  }

  /** Waits until every append is written and synced. */
  async #settle(): Promise<void> {
    while (this.#writing || this.#syncing) {
      await this.#writing?.catch(() => {});
      await this.#syncing;
    }
  }
}

/** What identifies interchangeable vectors (the query form plays no part in document vectors). */
function fingerprint(embedding: EmbeddingConfig): string {
  const { provider, model, dimensions, document } = embedding;
  return JSON.stringify({ provider, model, dimensions, document });
}

interface Frame {
  bytes: Buffer;
  /** Each key with the offset of its vector inside `bytes`. */
  keys: Array<{ key: string; offset: number }>;
}

/** A frame: header, then per record a 16-bit key length, the key (UTF-8) and the floats (little-endian). */
function encodeFrame(entries: readonly LoggedVector[], dimensions: number): Frame {
  const keys = entries.map(({ key }) => Buffer.from(key, "utf8"));
  const vectorBytes = dimensions * 4;
  const length = keys.reduce((sum, key) => sum + 2 + key.length + vectorBytes, 0);
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  const offsets: Frame["keys"] = [];
  let at = FRAME_HEADER_BYTES;
  entries.forEach((entry, index) => {
    const key = keys[index]!;
    if (entry.vector.length !== dimensions)
      throw new Error(`a vector of ${entry.vector.length} dimensions cannot go in a log of ${dimensions}`);
    at = bytes.writeUInt16LE(key.length, at);
    at += key.copy(bytes, at);
    offsets.push({ key: entry.key, offset: at });
    at += Buffer.from(entry.vector.buffer, entry.vector.byteOffset, vectorBytes).copy(bytes, at);
  });
  bytes.writeUInt32LE(FRAME_MAGIC, 0);
  bytes.writeUInt32LE(entries.length, 4);
  bytes.writeUInt32LE(length, 8);
  createHash("sha256").update(bytes.subarray(FRAME_HEADER_BYTES)).digest().copy(bytes, 12);
  return { bytes, keys: offsets };
}

/** A frame's keys with the offsets of their vectors (from the frame's start); undefined when malformed. */
function readKeys(
  payload: Buffer,
  count: number,
  dimensions: number,
): Array<{ key: string; offset: number }> | undefined {
  const keys: Array<{ key: string; offset: number }> = [];
  let at = 0;
  for (let record = 0; record < count; record++) {
    if (at + 2 > payload.length) return undefined;
    const length = payload.readUInt16LE(at);
    const key = payload.toString("utf8", at + 2, at + 2 + length);
    at += 2 + length;
    keys.push({ key, offset: FRAME_HEADER_BYTES + at });
    at += dimensions * 4;
  }
  return at === payload.length ? keys : undefined;
}
