import { createHash } from "node:crypto";
import { RegularFile } from "./read-regular-file.js";

/**
 * sha256 of a file's bytes as lowercase hex, read as a stream so a large file never sits in
 * memory. The manifest compares this value to decide whether a document changed.
 *
 * Only regular files are read (see {@link RegularFile}: a FIFO or device is refused, a hung read
 * times out).
 *
 * @param signal aborts the read; the promise then rejects with `signal.reason` at once.
 * @example
 * const hash = await hashFile("/docs/guide.md");
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const hash = createHash("sha256");
  const file = await RegularFile.open(path);
  try {
    for await (const chunk of file.chunks({ signal })) hash.update(chunk);
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

/** sha256 of a string's UTF-8 encoding as lowercase hex (chunk and text identities). */
export function hashText(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * sha256 of bytes already in memory as lowercase hex. Loaders read the whole file to parse it,
 * so they hash that buffer instead of reading the file a second time; the result equals
 * {@link hashFile} for the same bytes.
 */
export function hashBytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
