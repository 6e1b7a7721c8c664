import { Inflate } from "fflate";
import { type ZipEntry, ZipFormatError } from "./read-zip-directory.js";

const LOCAL_SIGNATURE = 0x04034b50;
/** Compressed bytes fed to the inflater at a time: the unpacked text arrives in pieces of similar order. */
const FEED_BYTES = 64 * 1024;

/**
 * The text of one ZIP entry (stored or deflated, UTF-8), in pieces as it unpacks: an XML part of
 * a workbook that unpacks to hundreds of megabytes is never held whole. Stops with an error when
 * the entry unpacks to more than it declared (a ZIP that lies about its sizes).
 *
 * @throws ZipFormatError when the entry's data is damaged or uses another compression method.
 */
export function* zipEntryText(bytes: Uint8Array, entry: ZipEntry): Generator<string> {
  const data = entryData(bytes, entry);
  const decoder = new TextDecoder();
  if (entry.method === 0) {
    for (let offset = 0; offset < data.length; offset += FEED_BYTES)
      yield decoder.decode(data.subarray(offset, offset + FEED_BYTES), { stream: true });
    yield decoder.decode();
    return;
  }
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  let pieces: string[] = [];
  let unpacked = 0;
  // Declared sizes of 0 exist (data descriptors); those entries are bounded by the package check instead.
  const limit = entry.uncompressedSize > 0 ? entry.uncompressedSize : Number.POSITIVE_INFINITY;
  const inflater = new Inflate((chunk) => {
    unpacked += chunk.length;
    if (unpacked > limit) throw new ZipFormatError(`${entry.name} unpacks to more than its declared size`);
    pieces.push(decoder.decode(chunk, { stream: true }));
  });
  for (let offset = 0; offset < data.length; offset += FEED_BYTES) {
    const last = offset + FEED_BYTES >= data.length;
    try {
      inflater.push(data.subarray(offset, offset + FEED_BYTES), last);
    } catch (error) {
      if (error instanceof ZipFormatError) throw error;
      throw new ZipFormatError(`${entry.name} cannot be inflated (${(error as Error).message})`);
    }
    if (pieces.length > 0) {
      yield pieces.join("");
      pieces = [];
    }
  }
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}

/** The compressed bytes of an entry, found through its local header. */
function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > view.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE)
    throw new ZipFormatError(`bad local header for ${entry.name}`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > view.byteLength) throw new ZipFormatError(`${entry.name} runs past the end of the archive`);
  return bytes.subarray(start, end);
}
