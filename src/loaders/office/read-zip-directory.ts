import { type Unzipped, unzipSync } from "fflate";

/** One file in a ZIP archive, from its central directory. */
export interface ZipEntry {
  /** Path inside the archive, with `/` separators, as stored (OOXML names are ASCII). */
  name: string;
  /** 0 = stored, 8 = deflated; others are not read. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
}

/** The archive's structure is broken (truncated, not a ZIP, a damaged entry). */
export class ZipFormatError extends Error {
  override readonly name = "ZipFormatError";
}

/**
 * Lists the entries of a ZIP archive held in memory, from its central directory (fflate reads it,
 * ZIP64 included) without inflating anything, so this is cheap even for a large archive, and it
 * tells what a ZIP is (a Word document has `word/document.xml`, a workbook `xl/workbook.xml`) and
 * how big it unpacks before anything is inflated.
 *
 * @throws ZipFormatError when there is no readable central directory.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const entries: ZipEntry[] = [];
  unzip(bytes, (file) => {
    entries.push({
      name: file.name,
      method: file.compression,
      compressedSize: file.size,
      uncompressedSize: file.originalSize,
    });
    return false;
  });
  return entries;
}

/**
 * The uncompressed bytes of one entry (stored or deflated), never more than it declares.
 *
 * @throws ZipFormatError when the entry is missing, damaged or uses another compression method.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method !== 0 && entry.method !== 8)
    throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  const data = unzip(bytes, (file) => file.name === entry.name)[entry.name];
  if (!data) throw new ZipFormatError(`${entry.name} is not in the archive`);
  return data;
}

/** fflate's unzipSync with its errors as ZipFormatError. */
function unzip(
  bytes: Uint8Array,
  filter: (file: { name: string; size: number; originalSize: number; compression: number }) => boolean,
): Unzipped {
  try {
    return unzipSync(bytes, { filter });
  } catch (error) {
    // fflate says "invalid zip data" for every broken archive: say what that means.
    throw new ZipFormatError("no readable central directory (truncated or not a ZIP)", { cause: error });
  }
}
