import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** Longest wait for one read before the file is given up on. @see readChunks */
export const DEFAULT_READ_TIMEOUT_MS = 60_000;
const CHUNK_BYTES = 1024 * 1024;

/** A file that is not a regular file, found when it is opened (it may have been replaced since discovery). */
export class NotRegularFileError extends Error {
  override readonly name = "NotRegularFileError";
}

/** A read that did not return within its deadline (a hung network mount, a kernel file that never ends). */
export class ReadTimeoutError extends Error {
  override readonly name = "ReadTimeoutError";
}

/**
 * A regular file open for reading, whose reads have a deadline and follow an abort signal.
 *
 * Opened with `O_NONBLOCK`, so a FIFO or a device opens at once instead of waiting for a
 * writer; whatever is not a regular file is refused, judged on the open handle, so a file
 * swapped for a FIFO after discovery is caught too. A read that hangs in the kernel (a dead
 * network mount, a kernel file such as `/proc/kmsg` with nothing to say) cannot be cancelled:
 * it is abandoned, the caller goes on at once, and the handle is closed once that read returns.
 *
 * @example
 * const file = await RegularFile.open(path);
 * try { for await (const chunk of file.chunks({ signal })) hash.update(chunk); } finally { await file.close(); }
 */
export class RegularFile {
  readonly #handle: FileHandle;
  /** Size in bytes when opened. */
  readonly size: number;
  #abandoned = false;

  private constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.size = size;
  }

  /** @throws NotRegularFileError for a directory, FIFO, socket or device; fs errors as they are. */
  static async open(path: string): Promise<RegularFile> {
    // O_NONBLOCK does not exist on Windows, where opening a pipe by name does not block either.
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new NotRegularFileError(stats.isDirectory() ? "is a directory" : "not a regular file");
      return new RegularFile(handle, stats.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Reads into `buffer` at `position`; resolves with the bytes read (0 at the end).
   * @throws ReadTimeoutError when the read takes longer than `timeoutMs`; `signal.reason` on abort.
   */
  async read(buffer: Uint8Array, position: number, options: ReadOptions = {}): Promise<number> {
    const { signal } = options;
    signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    let settled = false;
    const read = this.#handle.read(buffer, 0, buffer.length, position).then(
      (result) => {
        settled = true;
        return result.bytesRead;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ReadTimeoutError(`read timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([read, stopped]);
    } catch (error) {
      if (!settled) this.#abandon(read);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** The file from `start` to its end, chunk by chunk (the last chunk may be shorter). */
  async *chunks(options: ReadOptions & { start?: number; chunkBytes?: number } = {}): AsyncGenerator<Uint8Array> {
    const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
    let position = options.start ?? 0;
    for (;;) {
      const buffer = new Uint8Array(chunkBytes);
      const bytesRead = await this.read(buffer, position, options);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  /** The whole file in one array (a file that grew since it was opened is read to its new end). */
  async readAll(options: ReadOptions = {}): Promise<Uint8Array> {
    // One read of the size known at open, plus a byte to notice growth: a regular file answers a
    // short read only at its end, so most files take a single read into a buffer of their size.
    const first = new Uint8Array(this.size + 1);
    const bytesRead = await this.read(first, 0, options);
    if (bytesRead <= this.size) return first.subarray(0, bytesRead);
    const parts: Uint8Array[] = [first];
    let total = first.length;
    for await (const chunk of this.chunks({ ...options, start: total, chunkBytes: Math.max(this.size, 64 * 1024) })) {
      parts.push(chunk);
      total += chunk.length;
    }
    if (parts.length === 1) return parts[0]!;
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return bytes;
  }

  /** Closes the file; after an abandoned read, it closes itself once that read returns. */
  async close(): Promise<void> {
    if (!this.#abandoned) await this.#handle.close();
  }

  #abandon(read: Promise<number>): void {
    this.#abandoned = true;
    // Closing now would wait for the hung read (FileHandle waits for pending operations).
    const close = () => this.#handle.close().catch(() => {});
    read.then(close, close);
  }
}

export interface ReadOptions {
  /** Longest wait for one read. @default {@link DEFAULT_READ_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Rejects the read in progress with `signal.reason` at once, even when the read itself hangs. */
  signal?: AbortSignal;
}
