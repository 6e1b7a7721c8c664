import { analyse } from "chardet";
import { LoadError } from "../../errors.js";
import type { TextEncoding, TextSniff } from "../detect/sniff.js";
import { converted, incomplete, type LoadWarning } from "../warnings.js";

/** Decoded text with `\n` line ends, plus a note when a fallback encoding was used. */
export interface DecodedText {
  text: string;
  warning?: LoadWarning;
}

/** Why text could not be decoded; the loader turns it into a `LoadError`. */
export class UndecodableTextError extends Error {
  override readonly name = "UndecodableTextError";
}

/**
 * Decodes a whole file's bytes as `encoding` (skipping a `bomLength`-byte BOM) and normalises
 * CRLF and lone CR line ends to `\n`, so line numbers match what editors show.
 *
 * Invalid UTF-8 is read, with a warning, as the first of these that fits:
 * 1. UTF-8 with U+FFFD for the bad bytes, when the file is UTF-8 but for a few of them (at least
 *    one valid multi-byte character and few invalid sequences): one stray byte must not turn
 *    every `é` of the file into `Ã©`;
 * 2. the legacy encoding chardet detects (Shift_JIS, EUC-JP, GB18030, Big5, EUC-KR, KOI8-R,
 *    windows-125x, ISO-8859-x…), decoded by the platform's TextDecoder, and only when the bytes
 *    are valid in it;
 * 3. windows-1252, the usual encoding of old Western European text files, when at most half of
 *    the bytes are non-ASCII and few are unassigned in it.
 * Otherwise it throws {@link UndecodableTextError}: mojibake would poison the index. Text that
 * decodes to NUL characters past the sniffed prefix is binary and throws too.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding, bomLength: number): DecodedText {
  const body = bytes.subarray(bomLength);
  let text: string;
  let warning: LoadWarning | undefined;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch (error) {
    if (encoding !== "utf-8")
      throw new UndecodableTextError(`invalid ${encoding.toUpperCase()} text`, { cause: error });
    ({ text, warning } = decodeInvalidUtf8(body, error));
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) throw new UndecodableTextError(`binary file (NUL character at position ${nul})`);
  return { text: text.replace(/\r\n?/g, "\n"), ...(warning ? { warning } : {}) };
}

function decodeInvalidUtf8(body: Uint8Array, cause: unknown): Required<DecodedText> {
  const lossy = mostlyUtf8(body);
  if (lossy) return lossy;
  for (const candidate of legacyCandidates(body)) {
    const text = decodeLegacy(body, candidate);
    if (text !== undefined) return { text, warning: converted(`not valid UTF-8; decoded as ${candidate}`) };
  }
  if (looksLikeWindows1252(body))
    return { text: decodeWindows1252(body), warning: converted("not valid UTF-8; decoded as windows-1252") };
  throw new UndecodableTextError("not valid UTF-8 and not in a text encoding gemindex recognises", { cause });
}

/** UTF-8 with U+FFFD for bad bytes, when the rest is clearly UTF-8; undefined otherwise. */
function mostlyUtf8(body: Uint8Array): Required<DecodedText> | undefined {
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(body);
  let replaced = 0;
  let multiByte = 0;
  for (const character of text) {
    if (character === "\ufffd") replaced++;
    else if (character.codePointAt(0)! >= 0x80) multiByte++;
  }
  // U+FFFD written in the file itself (EF BF BD) is not a bad byte.
  replaced -= countSequence(body, [0xef, 0xbf, 0xbd]);
  if (multiByte === 0 || replaced > Math.max(3, multiByte * 0.02)) return undefined;
  const places = replaced === 1 ? "1 invalid byte sequence" : `${replaced} invalid byte sequences`;
  return {
    text,
    warning: incomplete(`not valid UTF-8 (${places}); decoded as UTF-8 with U+FFFD replacement characters`),
  };
}

/** Encodings chardet finds plausible, best first (windows-1252 first among equals: Western text is the common case). */
function legacyCandidates(body: Uint8Array): string[] {
  // The first 64 KiB tell the encoding as well as the whole file would, at a fraction of the cost.
  const matches = analyse(body.subarray(0, 65_536)).filter(
    // 10 is chardet's "nothing against it" for the multi-byte encodings: no evidence either.
    (match) => match.confidence >= 20 && !/^(UTF-|ASCII|ISO-2022)/i.test(match.name),
  );
  const rank = (name: string) => (name === "windows-1252" ? 1 : 0);
  matches.sort((a, b) => b.confidence - a.confidence || rank(b.name) - rank(a.name));
  return [...new Set(matches.map((match) => match.name))];
}

/** The text when every byte is valid in `encoding` and nothing decodes to a C1 control; else undefined. */
function decodeLegacy(body: Uint8Array, encoding: string): string | undefined {
  // Node's TextDecoder reads "windows-1252" as ISO-8859-1 (curly quotes become C1 controls).
  if (/^(windows-1252|ISO-8859-1)$/i.test(encoding))
    return looksLikeWindows1252(body) ? decodeWindows1252(body) : undefined;
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    // Invalid in this encoding, or an encoding this Node build does not have.
    return undefined;
  }
  return /[\u0080-\u009f]/.test(text) ? undefined : text;
}

function countSequence(bytes: Uint8Array, sequence: readonly number[]): number {
  let count = 0;
  for (let index = bytes.indexOf(sequence[0]!); index >= 0; index = bytes.indexOf(sequence[0]!, index + 1)) {
    if (sequence.every((byte, offset) => bytes[index + offset] === byte)) count++;
  }
  return count;
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
  warnings?: LoadWarning[];
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

/**
 * Unicode for bytes 0x80–0x9F in windows-1252 (WHATWG encoding standard); the five unassigned
 * bytes map to the C1 control of the same value, as browsers do.
 */
const HIGH_CONTROLS = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d,
  0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d,
  0x017e, 0x0178,
];

/**
 * Decodes windows-1252 bytes. Node 20's `TextDecoder("windows-1252")` decodes as ISO-8859-1
 * instead, turning curly quotes, dashes and € (0x80–0x9F) into invisible C1 controls; this
 * maps that range itself.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  // Buffer's "latin1" is ISO-8859-1 on every Node version (one byte, one code point).
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  return latin1.replace(/[\u0080-\u009f]/g, (character) =>
    String.fromCharCode(HIGH_CONTROLS[character.charCodeAt(0) - 0x80]!),
  );
}
