import type { DocumentSection } from "./types.js";

/**
 * The single section of a whole-file text document, or none when the text is empty or only
 * whitespace: an empty file is a valid document with nothing to index, not an error.
 */
export function textSections(text: string, startLine = 1): DocumentSection[] {
  return text.trim() === "" ? [] : [{ text, startLine }];
}
