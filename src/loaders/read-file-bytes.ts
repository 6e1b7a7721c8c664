import { LoadError } from "../errors.js";
import { fsErrorReason } from "../sources/fs-error-reason.js";
import { RegularFile } from "../sources/read-regular-file.js";
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
 * short reason ("file not found", "permission denied", "not a regular file", "read timed out
 * after 60 s"); an abort rejects with `signal.reason` at once, even while a read hangs.
 */
export async function readFileBytes(
  path: string,
  limitFor: (head: Uint8Array) => SizeLimit | undefined,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  signal?.throwIfAborted();
  return withRegularFile(path, signal, async (file) => {
    await readCheckedHead(file, path, limitFor, signal);
    return file.readAll({ signal });
  });
}

/**
 * Runs `work` on the regular file at `path` and closes it: a file-system failure becomes a
 * `LoadError` with a short reason, an abort rejects with `signal.reason`.
 */
export async function withRegularFile<T>(
  path: string,
  signal: AbortSignal | undefined,
  work: (file: RegularFile) => Promise<T>,
): Promise<T> {
  let file: RegularFile | undefined;
  try {
    file = await RegularFile.open(path);
    return await work(file);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    if (signal?.aborted) throw signal.reason;
    throw new LoadError(path, fsErrorReason(error), { cause: error });
  } finally {
    await file?.close();
  }
}

/** The file's first {@link SNIFF_BYTES} bytes, the file refused when its size is above their limit. */
export async function readCheckedHead(
  file: RegularFile,
  path: string,
  limitFor: (head: Uint8Array) => SizeLimit | undefined,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const head = new Uint8Array(Math.min(file.size, SNIFF_BYTES));
  const bytes = head.subarray(0, await file.read(head, 0, { signal }));
  checkSize(path, file.size, limitFor(bytes));
  return bytes;
}

/**
 * Bytes read before the limit was known (see LoadOptions.bytes): refused above their limit like
 * {@link readFileBytes} refuses the file.
 */
export function checkedBytes(
  path: string,
  bytes: Uint8Array,
  limitFor: (head: Uint8Array) => SizeLimit | undefined,
): Uint8Array {
  checkSize(path, bytes.length, limitFor(bytes.subarray(0, SNIFF_BYTES)));
  return bytes;
}

/** Throws the LoadError for a file of `size` bytes above its limit ("larger than the 50 MiB limit (…)"). */
export function checkSize(path: string, size: number, limit: SizeLimit | undefined): void {
  if (limit === undefined || size <= limit.maxBytes) return;
  const subject = limit.subject === undefined ? "" : `${limit.subject} `;
  throw new LoadError(path, `${subject}larger than the ${formatSize(limit.maxBytes)} limit (${formatSize(size)})`);
}

/** "3 MiB", "20.5 MiB", "100 KiB", "512 bytes". */
function formatSize(bytes: number): string {
  const [value, unit] = bytes >= MIB ? [bytes / MIB, "MiB"] : bytes >= 1024 ? [bytes / 1024, "KiB"] : [bytes, "bytes"];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
