import { LoadError } from "../errors.js";
import { decodeWindows1252 } from "./decode-windows-1252.js";
import type { TextEncoding, TextSniff } from "./sniff.js";

/** Decoded text with `\n` line ends, plus a note when a fallback encoding was used. */
export interface DecodedText {
  text: string;
  warning?: string;
}

/** Why text could not be decoded; the loader turns it into a `LoadError`. */
export class UndecodableTextError extends Error {
  override readonly name = "UndecodableTextError";
}

/**
 * Decodes a whole file's bytes as `encoding` (skipping a `bomLength`-byte BOM) and normalises
 * CRLF and lone CR line ends to `\n`, so line numbers match what editors show.
 *
 * Invalid UTF-8 is retried as windows-1252 (the usual encoding of old Western European text
 * files) with a warning, but only when at most half of the bytes are non-ASCII (Western European text has far fewer;
 * Cyrillic or Greek single-byte text far more) and few decode to
 * unassigned C1 codes: beyond that it is another encoding (Shift-JIS, GBK, KOI8…) or binary,
 * and mojibake would poison the index, so it throws {@link UndecodableTextError}. Text that
 * decodes to NUL characters past the sniffed prefix is binary and throws too.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding, bomLength: number): DecodedText {
  const body = bytes.subarray(bomLength);
  let text: string;
  let warning: string | undefined;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch (error) {
    if (encoding !== "utf-8")
      throw new UndecodableTextError(`invalid ${encoding.toUpperCase()} text`, { cause: error });
    if (!looksLikeWindows1252(body))
      throw new UndecodableTextError("not valid UTF-8 and not recognisable as windows-1252 text", { cause: error });
    text = decodeWindows1252(body);
    warning = "not valid UTF-8; decoded as windows-1252";
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) throw new UndecodableTextError(`binary file (NUL character at position ${nul})`);
  return { text: text.replace(/\r\n?/g, "\n"), ...(warning ? { warning } : {}) };
}

function looksLikeWindows1252(bytes: Uint8Array): boolean {
  let high = 0;
  let unassigned = 0;
  for (const byte of bytes) {
    if (byte >= 0x80) high++;
    // Unassigned in windows-1252: their presence means some other encoding.
    if (byte === 0x81 || byte === 0x8d || byte === 0x8f || byte === 0x90 || byte === 0x9d) unassigned++;
  }
  return high <= bytes.length * 0.5 && unassigned <= high * 0.05;
}

/** A whole file's text, ready for a text loader, with notes about its decoding. */
export interface FileText {
  /** The text, with `\n` line ends. */
  text: string;
  warnings?: string[];
}

/**
 * {@link decodeText} for a loader: the sniffed encoding in, the text and any warnings out,
 * and an undecodable file as a `LoadError` for `path`.
 */
export function decodeSniffedText(path: string, bytes: Uint8Array, sniffed: TextSniff): FileText {
  try {
    const { text, warning } = decodeText(bytes, sniffed.encoding, sniffed.bomLength);
    return warning ? { text, warnings: [warning] } : { text };
  } catch (error) {
    if (error instanceof UndecodableTextError) throw new LoadError(path, error.message, { cause: error.cause });
    throw error;
  }
}
