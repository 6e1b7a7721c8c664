import type { DocumentSection, LoadedContent } from "../types.js";
import type { FileText } from "./decode-text.js";

/**
 * Loads plain text (`.txt`, `.rst`, `.log`, `.csv`, and files of unknown type that sniff as
 * text) as one section starting at line 1.
 */
export function loadText(file: FileText): LoadedContent {
  return { kind: "text", sections: textSections(file.text), ...(file.warnings ? { warnings: file.warnings } : {}) };
}

/**
 * Largest section, in characters. Chunking holds a section's pieces all at once, so a 48 MB text
 * file as one section peaked at ~20× its size; cut into windows, memory follows the window. A
 * chunk never spans two sections, so the price is a missing overlap at each cut (one in 500,000
 * characters), made at a paragraph break where there is one.
 */
export const MAX_SECTION_CHARACTERS = 512 * 1024;

/**
 * The sections of a whole-file text document: one starting at `startLine`, or consecutive
 * windows of at most {@link MAX_SECTION_CHARACTERS} for a large file, cut at a blank line (else a
 * line break) and each starting at its own line. None when the text is empty or only
 * whitespace: an empty file is a valid document with nothing to index, not an error.
 */
export function textSections(text: string, startLine = 1): DocumentSection[] {
  if (text.trim() === "") return [];
  if (text.length <= MAX_SECTION_CHARACTERS) return [{ text, startLine }];
  const sections: DocumentSection[] = [];
  let line = startLine;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + MAX_SECTION_CHARACTERS, text.length);
    if (end < text.length) {
      const half = start + MAX_SECTION_CHARACTERS / 2;
      const paragraph = text.lastIndexOf("\n\n", end);
      const lineBreak = text.lastIndexOf("\n", end);
      end = paragraph > half ? paragraph + 2 : lineBreak > half ? lineBreak + 1 : end;
    }
    const window = text.slice(start, end);
    if (window.trim() !== "") sections.push({ text: window, startLine: line });
    line += countLines(window);
    start = end;
  }
  return sections;
}

function countLines(text: string): number {
  let lines = 0;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) lines++;
  return lines;
}
