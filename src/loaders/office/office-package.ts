import { LoadError } from "../../errors.js";
import { readZipEntry, type ZipEntry } from "./read-zip-directory.js";

/**
 * Largest total unpacked size of a Word or Excel file's parts. The libraries inflate every
 * part in memory, and a small ZIP can unpack to gigabytes (a "zip bomb"); real documents of
 * the default 50 MiB file limit stay far below this.
 */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/**
 * Refuses an Office package whose parts unpack to more than {@link MAX_UNPACKED_BYTES}, from
 * the sizes its central directory declares (the libraries stop at the declared size).
 *
 * @throws LoadError "Word document unpacks to … MiB, above the 256 MiB limit".
 */
export function checkUnpackedSize(path: string, entries: readonly ZipEntry[], label: string): void {
  const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (total > MAX_UNPACKED_BYTES) {
    throw new LoadError(path, `${label} unpacks to ${mib(total)} MiB, above the ${mib(MAX_UNPACKED_BYTES)} MiB limit`);
  }
}

/** The title an Office document's properties give (`docProps/core.xml`, `dc:title`), if any. */
export function officeTitle(bytes: Uint8Array, entries: readonly ZipEntry[]): string | undefined {
  const core = entries.find((entry) => entry.name === "docProps/core.xml");
  if (!core || core.uncompressedSize > 1024 * 1024) return undefined;
  try {
    const xml = new TextDecoder().decode(readZipEntry(bytes, core));
    const match = /<dc:title(?:\s[^>]*)?>([\s\S]*?)<\/dc:title>/.exec(xml);
    const title = match ? decodeXmlEntities(match[1]!).replace(/\s+/g, " ").trim() : "";
    return title === "" ? undefined : title;
  } catch {
    // Damaged properties cost the title, not the document.
    return undefined;
  }
}

function decodeXmlEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, entity: string) => {
    if (entity[0] !== "#") return named[entity.toLowerCase()] ?? whole;
    const code =
      entity[1] === "x" || entity[1] === "X"
        ? Number.parseInt(entity.slice(2), 16)
        : Number.parseInt(entity.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function mib(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Longest library message kept in a load failure's reason. */
const MAX_SUMMARY = 160;

/**
 * A library error as a short clause for a `LoadError` reason: its first line, whitespace
 * collapsed, a leading "error:" dropped, cut to 160 characters. XML parsers and unzip
 * libraries put positions and stack-like detail on later lines that mean nothing in a run
 * report.
 */
export function summarizeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message
    .split("\n", 1)[0]!
    .replace(/\s+/g, " ")
    .replace(/^(?:error:\s*)+/i, "")
    .trim();
  return firstLine.length > MAX_SUMMARY ? `${firstLine.slice(0, MAX_SUMMARY - 1)}…` : firstLine;
}
