import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * sha256 of a file's bytes as lowercase hex, read as a stream so a large file never sits in
 * memory. The manifest compares this value to decide whether a document changed.
 *
 * @param signal aborts the read; the promise then rejects with `signal.reason`.
 * @example
 * const hash = await hashFile("/docs/guide.md");
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const hash = createHash("sha256");
  const stream = createReadStream(path, { signal });
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (error) {
    // createReadStream wraps the abort in its own AbortError; hand back the caller's reason.
    if (signal?.aborted) throw signal.reason;
    throw error;
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
