import { Unzip, UnzipInflate } from "fflate";
import { type ZipEntry, ZipFormatError } from "./read-zip-directory.js";

/** Archive bytes fed to fflate's streaming unzip at a time: the unpacked text arrives in pieces of similar order. */
const FEED_BYTES = 64 * 1024;

/**
 * The text of one ZIP entry (stored or deflated, UTF-8), in pieces as it unpacks: an XML part of
 * a workbook that unpacks to hundreds of megabytes is never held whole. fflate's streaming unzip
 * reads the archive's local headers and inflates only this entry. Stops with an error when the
 * entry unpacks to more than it declared (a ZIP that lies about its sizes).
 *
 * @throws ZipFormatError when the entry is missing, damaged or uses another compression method.
 */
export function* zipEntryText(bytes: Uint8Array, entry: ZipEntry): Generator<string> {
  if (entry.method !== 0 && entry.method !== 8)
    throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  const decoder = new TextDecoder();
  let pieces: string[] = [];
  let unpacked = 0;
  let found = false;
  let finished = false;
  let failure: Error | undefined;
  // Declared sizes of 0 exist (data descriptors); those entries are bounded by the package check instead.
  const limit = entry.uncompressedSize > 0 ? entry.uncompressedSize : Number.POSITIVE_INFINITY;
  const unzip = new Unzip((file) => {
    if (file.name !== entry.name || found) return;
    found = true;
    file.ondata = (error, chunk, final) => {
      if (error) failure ??= error;
      unpacked += chunk?.length ?? 0;
      if (unpacked > limit) failure ??= new ZipFormatError(`${entry.name} unpacks to more than its declared size`);
      if (!failure && chunk) pieces.push(decoder.decode(chunk, { stream: true }));
      if (final) finished = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for (let offset = 0; offset < bytes.length && !finished; offset += FEED_BYTES) {
    try {
      unzip.push(bytes.subarray(offset, offset + FEED_BYTES), offset + FEED_BYTES >= bytes.length);
    } catch (error) {
      failure ??= error as Error;
    }
    if (failure) {
      if (failure instanceof ZipFormatError) throw failure;
      throw new ZipFormatError(`${entry.name} cannot be inflated (${failure.message})`);
    }
    if (pieces.length > 0) {
      yield pieces.join("");
      pieces = [];
    }
  }
  if (!found) throw new ZipFormatError(`${entry.name} is not in the archive`);
  if (!finished) throw new ZipFormatError(`${entry.name} runs past the end of the archive`);
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}
