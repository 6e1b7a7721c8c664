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
