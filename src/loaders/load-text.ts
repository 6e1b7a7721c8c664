import { decodeSniffedText } from "./decode-text.js";
import type { LoadedContent } from "./loaded-content.js";
import type { TextSniff } from "./sniff.js";
import { textSections } from "./text-sections.js";

/**
 * Loads plain text (`.txt`, `.rst`, `.log`, `.csv`, and extension-less files that sniff as
 * text) as one section starting at line 1.
 *
 * @throws LoadError when the bytes cannot be decoded as text.
 */
export function loadText(path: string, bytes: Uint8Array, sniffed: TextSniff): LoadedContent {
  const { text, warnings } = decodeSniffedText(path, bytes, sniffed);
  return { kind: "text", sections: textSections(text), ...(warnings ? { warnings } : {}) };
}
