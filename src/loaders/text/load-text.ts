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
  const windows = new TextWindows(startLine);
  return [...windows.push(text), ...windows.end()];
}

/**
 * Cuts text that arrives in pieces (a file decoded as it is read) into the same sections
 * {@link textSections} makes of the whole text: a window is cut once the text after it is known
 * to be long enough, so only about two windows are ever held.
 */
export class TextWindows {
  #text = "";
  #line: number;
  #sections = 0;

  constructor(startLine = 1) {
    this.#line = startLine;
  }

  /** Adds text; returns the sections complete so far. */
  push(text: string): DocumentSection[] {
    this.#text += text;
    const sections: DocumentSection[] = [];
    // A cut looks at most two characters past the window (a paragraph break starting at its end).
    while (this.#text.length > MAX_SECTION_CHARACTERS + 2) this.#cut(sections);
    return sections;
  }

  /** The text ended: returns the last sections. */
  end(): DocumentSection[] {
    const sections: DocumentSection[] = [];
    // Text of only white space is no document at all (no section), however long.
    if (this.#sections === 0 && this.#text.trim() === "") return sections;
    if (this.#sections === 0 && this.#text.length <= MAX_SECTION_CHARACTERS) {
      sections.push({ text: this.#text, startLine: this.#line });
      this.#text = "";
      return sections;
    }
    while (this.#text.length > 0) this.#cut(sections);
    return sections;
  }

  #cut(sections: DocumentSection[]): void {
    const text = this.#text;
    let end = Math.min(MAX_SECTION_CHARACTERS, text.length);
    if (end < text.length) {
      const half = MAX_SECTION_CHARACTERS / 2;
      const paragraph = text.lastIndexOf("\n\n", end);
      const lineBreak = text.lastIndexOf("\n", end);
      end = paragraph > half ? paragraph + 2 : lineBreak > half ? lineBreak + 1 : end;
    }
    const window = text.slice(0, end);
    if (window.trim() !== "") {
      sections.push({ text: window, startLine: this.#line });
      this.#sections++;
    }
    this.#line += countLines(window);
    this.#text = text.slice(end);
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) lines++;
  return lines;
}
