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
 * The single section of a whole-file text document, or none when the text is empty or only
 * whitespace: an empty file is a valid document with nothing to index, not an error.
 */
export function textSections(text: string, startLine = 1): DocumentSection[] {
  return text.trim() === "" ? [] : [{ text, startLine }];
}
