import { inflateRawSync } from "node:zlib";

/** One file in a ZIP archive, from its central directory. */
export interface ZipEntry {
  /** Path inside the archive, with `/` separators, as stored (UTF-8 or CP437; OOXML names are ASCII). */
  name: string;
  /** 0 = stored, 8 = deflated; others are not read. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the entry's local header from the start of the archive. */
  localHeaderOffset: number;
}

/** The archive's structure is broken (truncated, not a ZIP, a bad offset). */
export class ZipFormatError extends Error {
  override readonly name = "ZipFormatError";
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** End-of-central-directory record without its comment, and the longest comment. */
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/**
 * Lists the entries of a ZIP archive held in memory by reading its central directory (found
 * from the end-of-central-directory record, ZIP64 included). Only the directory is read, so
 * this is cheap even for a large archive, and it tells what a ZIP is (a Word document has
 * `word/document.xml`, a workbook `xl/workbook.xml`) and how big it unpacks before anything
 * is inflated.
 *
 * @throws ZipFormatError when there is no readable central directory.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) throw new ZipFormatError("no end of central directory (truncated or not a ZIP)");
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (
    (count === 0xffff || offset === 0xffffffff) &&
    eocd >= 20 &&
    view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE
  ) {
    const zip64 = safeNumber(view.getBigUint64(eocd - 12, true));
    if (zip64 + 56 > view.byteLength || view.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE)
      throw new ZipFormatError("bad ZIP64 end of central directory");
    count = safeNumber(view.getBigUint64(zip64 + 32, true));
    offset = safeNumber(view.getBigUint64(zip64 + 48, true));
  }

  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  for (let index = 0; index < count; index++) {
    if (offset + 46 > view.byteLength || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`central directory entry ${index + 1} of ${count} is damaged`);
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const nameStart = offset + 46;
    if (nameStart + nameLength + extraLength > view.byteLength)
      throw new ZipFormatError(`central directory entry ${index + 1} runs past the end`);
    const entry: ZipEntry = {
      name: decoder.decode(bytes.subarray(nameStart, nameStart + nameLength)),
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      uncompressedSize: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
    };
    applyZip64Extra(view, nameStart + nameLength, extraLength, entry);
    entries.push(entry);
    offset = nameStart + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The uncompressed bytes of one entry (stored or deflated).
 *
 * @throws ZipFormatError when the entry's data is damaged or uses another compression method.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > view.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE)
    throw new ZipFormatError(`bad local header for ${entry.name}`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > view.byteLength) throw new ZipFormatError(`${entry.name} runs past the end of the archive`);
  const data = bytes.subarray(start, end);
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(entry.uncompressedSize, 1) });
  } catch (error) {
    throw new ZipFormatError(`${entry.name} cannot be inflated (${(error as Error).message})`);
  }
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let offset = last; offset >= first; offset--) {
    if (
      view.getUint32(offset, true) === EOCD_SIGNATURE &&
      offset + EOCD_SIZE + view.getUint16(offset + 20, true) <= view.byteLength
    )
      return offset;
  }
  return -1;
}

/**
 * Sizes and offsets that did not fit 32 bits live in the ZIP64 extra field (id 1), in this order, only when their
 * 32-bit field is 0xFFFFFFFF.
 */
function applyZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  for (let offset = start; offset + 4 <= start + length; ) {
    const id = view.getUint16(offset, true);
    const size = view.getUint16(offset + 2, true);
    if (id === 0x0001) {
      let field = offset + 4;
      const next = () => {
        const value = field + 8 <= offset + 4 + size ? safeNumber(view.getBigUint64(field, true)) : undefined;
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next() ?? entry.uncompressedSize;
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next() ?? entry.compressedSize;
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next() ?? entry.localHeaderOffset;
      return;
    }
    offset += 4 + size;
  }
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError("ZIP64 value out of range");
  return Number(value);
}
