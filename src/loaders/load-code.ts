import { decodeSniffedText } from "./decode-text.js";
import type { LoadedContent } from "./loaded-content.js";
import type { TextSniff } from "./sniff.js";
import { textSections } from "./text-sections.js";

/**
 * Loads a source file as one section starting at line 1, recording its `language`
 * (from `CODE_LANGUAGES`) so the code chunker and search filters can use it.
 *
 * @throws LoadError when the bytes cannot be decoded as text.
 */
export function loadCode(path: string, bytes: Uint8Array, sniffed: TextSniff, language: string): LoadedContent {
  const { text, warnings } = decodeSniffedText(path, bytes, sniffed);
  return { kind: "code", language, sections: textSections(text), ...(warnings ? { warnings } : {}) };
}
