import { detectMediaType, type MediaType } from "./media-type.js";

/** How many leading bytes {@link sniff} looks at (git's binary check reads 8000). */
export const SNIFF_BYTES = 8192;

/** The text encodings gemindex decodes; windows-1252 is only ever a fallback for invalid UTF-8. */
export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";

/** Content that looks like text, and how to decode it. */
export interface TextSniff {
  type: "text";
  encoding: TextEncoding;
  /** Length of the byte-order mark to skip (0 when none). */
  bomLength: number;
}

/** What the first bytes of a file say it is. */
export type SniffResult =
  | { type: "pdf" }
  /** An image or audio file (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC/HEIF/AVIF, WAV, MP3). */
  | { type: "media"; media: MediaType }
  /** A ZIP archive: DOCX and XLSX files are ZIPs; which one the entries decide. */
  | { type: "zip" }
  /** An OLE2 compound file: a legacy `.doc`/`.xls`, or a password-protected DOCX/XLSX. */
  | { type: "ole" }
  | { type: "binary" /** Why it looks binary, for the error message. */; evidence: string }
  | TextSniff;

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/**
 * Classifies content from its first {@link SNIFF_BYTES} bytes, whatever the file is called:
 * a PDF (starts with `%PDF-`; a header further in is accepted by PDF readers, but text that
 * merely mentions `%PDF-` must stay text), an image or audio file by its magic bytes (see
 * `detectMediaType`), a ZIP archive (`PK\x03\x04`, or `PK\x05\x06` when empty), an OLE2
 * compound file, text (with its encoding from a byte-order mark, or UTF-16 recognised by its
 * zero bytes), or binary (a NUL byte, or more than 10% control characters). Magic bytes are
 * checked before byte-order marks; none of them can start a text file. Whether UTF-8 text is
 * actually valid is decided when the whole file is decoded.
 */
export function sniff(bytes: Uint8Array): SniffResult {
  const sample = bytes.subarray(0, SNIFF_BYTES);
  if (findPdfHeader(sample) === 0) return { type: "pdf" };
  const media = detectMediaType(sample);
  if (media) return { type: "media", media };
  if (
    sample[0] === 0x50 &&
    sample[1] === 0x4b &&
    ((sample[2] === 0x03 && sample[3] === 0x04) || (sample[2] === 0x05 && sample[3] === 0x06))
  ) {
    return { type: "zip" };
  }
  if (OLE_SIGNATURE.every((byte, index) => sample[index] === byte)) return { type: "ole" };

  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf)
    return { type: "text", encoding: "utf-8", bomLength: 3 };
  // FF FE 00 00 would be UTF-32 LE, which nobody writes: treat FF FE as UTF-16 LE.
  if (sample[0] === 0xff && sample[1] === 0xfe) return { type: "text", encoding: "utf-16le", bomLength: 2 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { type: "text", encoding: "utf-16be", bomLength: 2 };

  const bomless = bomlessUtf16(sample);
  if (bomless) return { type: "text", encoding: bomless, bomLength: 0 };

  let controls = 0;
  for (let index = 0; index < sample.length; index++) {
    const byte = sample[index]!;
    if (byte === 0) return { type: "binary", evidence: `NUL byte at offset ${index}` };
    if (isControl(byte)) controls++;
  }
  if (sample.length > 0 && controls / sample.length > 0.1) {
    return { type: "binary", evidence: `${Math.round((controls / sample.length) * 100)}% control characters` };
  }
  return { type: "text", encoding: "utf-8", bomLength: 0 };
}

/** Offset of `%PDF-` within the first 1 KiB (where PDF readers look for it), or -1. */
export function findPdfHeader(bytes: Uint8Array): number {
  const end = Math.min(bytes.length, 1024) - 5;
  for (let index = 0; index <= end; index++) {
    if (
      bytes[index] === 0x25 &&
      bytes[index + 1] === 0x50 &&
      bytes[index + 2] === 0x44 &&
      bytes[index + 3] === 0x46 &&
      bytes[index + 4] === 0x2d
    ) {
      return index;
    }
  }
  return -1;
}

/**
 * C0 controls other than the whitespace and escapes that real text files contain (tab, LF, VT, FF, CR, backspace, ESC
 * for ANSI colours).
 */
function isControl(byte: number): boolean {
  return (
    (byte < 0x20 &&
      byte !== 0x09 &&
      byte !== 0x0a &&
      byte !== 0x0b &&
      byte !== 0x0c &&
      byte !== 0x0d &&
      byte !== 0x08 &&
      byte !== 0x1b) ||
    byte === 0x7f
  );
}

/**
 * UTF-16 without a byte-order mark (some Windows tools write it): mostly-ASCII text then has
 * a zero in nearly every other byte, almost none in the rest, and printable ASCII beside each
 * zero. Binary data with zero-padded 16-bit values fails the last test.
 */
function bomlessUtf16(sample: Uint8Array): TextEncoding | undefined {
  const pairs = Math.floor(sample.length / 2);
  if (pairs < 8) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  let printableBesideOddZero = 0;
  let printableBesideEvenZero = 0;
  for (let index = 0; index < pairs * 2; index += 2) {
    const even = sample[index]!;
    const odd = sample[index + 1]!;
    if (even === 0) {
      evenZeros++;
      if (isPrintableAscii(odd)) printableBesideEvenZero++;
    }
    if (odd === 0) {
      oddZeros++;
      if (isPrintableAscii(even)) printableBesideOddZero++;
    }
  }
  if (oddZeros / pairs > 0.4 && evenZeros / pairs < 0.02 && printableBesideOddZero / oddZeros > 0.9) return "utf-16le";
  if (evenZeros / pairs > 0.4 && oddZeros / pairs < 0.02 && printableBesideEvenZero / evenZeros > 0.9)
    return "utf-16be";
  return undefined;
}

function isPrintableAscii(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/**
 * An HTML document's opening, after optional whitespace, comments and an XML declaration:
 * `<!DOCTYPE html` or an `<html>` tag (any case).
 */
const HTML_START =
  /^\s*(?:<!--[\s\S]*?-->\s*)*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i;

/**
 * Whether text of an unknown type is an HTML page, judged by how it starts (its first 4 KiB),
 * the way browsers sniff `text/html`. Text that merely contains tags (Markdown, templates,
 * code) does not count.
 */
export function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text.slice(0, 4096));
}
