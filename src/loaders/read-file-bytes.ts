import { open, stat } from "node:fs/promises";

import { LoadError } from "../errors.js";
import { fsErrorReason } from "../sources/fs-error-reason.js";

const MIB = 1024 * 1024;

/**
 * Reads a whole file for a loader, refusing non-regular files and files above `maxBytes`
 * before reading a byte. File-system failures become `LoadError`s with a short reason
 * ("file not found", "permission denied"); an abort rejects with `signal.reason`.
 */
export async function readFileBytes(path: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  signal?.throwIfAborted();
  try {
    // stat before open: opening a FIFO would block until a writer appears.
    const stats = await stat(path);
    if (!stats.isFile()) throw new LoadError(path, stats.isDirectory() ? "is a directory" : "not a regular file");
    const handle = await open(path, "r");
    try {
      // Size again from the open handle: the file may have grown since it was discovered.
      const { size } = await handle.stat();
      if (size > maxBytes) throw new LoadError(path, `larger than the ${formatMib(maxBytes)} MiB limit (${formatMib(size)} MiB)`);
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

function formatMib(bytes: number): string {
  const mib = bytes / MIB;
  return Number.isInteger(mib) ? String(mib) : mib.toFixed(1);
}
