import { open, stat } from "node:fs/promises";

import { LoadError } from "../errors.js";
import { fsErrorReason } from "../sources/fs-error-reason.js";
import { SNIFF_BYTES } from "./detect/sniff.js";

const MIB = 1024 * 1024;

/** How large a file may be, and what the limit is called in the reason ("image" → "image larger than…"). */
export interface SizeLimit {
  maxBytes: number;
  /** Names the kind of file the limit is for, in the reason. @default none ("larger than the 50 MiB limit") */
  subject?: string;
}

/**
 * Reads a whole file for a loader, refusing non-regular files and files above their size
 * limit before reading more than their first bytes. `limitFor` gets the first
 * {@link SNIFF_BYTES} bytes (so the limit can depend on what the file is: an image, a PDF) and
 * returns the limit, or undefined for none. File-system failures become `LoadError`s with a
 * short reason ("file not found", "permission denied"); an abort rejects with `signal.reason`.
 */
export async function readFileBytes(
  path: string,
  limitFor: (head: Uint8Array) => SizeLimit | undefined,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  signal?.throwIfAborted();
  try {
    // stat before open: opening a FIFO would block until a writer appears.
    const stats = await stat(path);
    if (!stats.isFile()) throw new LoadError(path, stats.isDirectory() ? "is a directory" : "not a regular file");
    const handle = await open(path, "r");
    try {
      // Size again from the open handle: the file may have grown since it was discovered.
      const { size } = await handle.stat();
      const head = new Uint8Array(Math.min(size, SNIFF_BYTES));
      // A positional read leaves the file position at 0 for readFile below.
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const limit = limitFor(head.subarray(0, bytesRead));
      if (limit !== undefined && size > limit.maxBytes) {
        const subject = limit.subject === undefined ? "" : `${limit.subject} `;
        throw new LoadError(
          path,
          `${subject}larger than the ${formatSize(limit.maxBytes)} limit (${formatSize(size)})`,
        );
      }
      return await handle.readFile({ signal });
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof LoadError) throw error;
    if (signal?.aborted) throw signal.reason;
    throw new LoadError(path, fsErrorReason(error), { cause: error });
  }
}

/** "3 MiB", "20.5 MiB", "100 KiB", "512 bytes". */
function formatSize(bytes: number): string {
  const [value, unit] = bytes >= MIB ? [bytes / MIB, "MiB"] : bytes >= 1024 ? [bytes / 1024, "KiB"] : [bytes, "bytes"];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
