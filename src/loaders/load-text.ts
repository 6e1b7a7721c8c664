import type { FileText } from "./decode-text.js";
import type { LoadedContent } from "./loaded-content.js";
import { textSections } from "./text-sections.js";

/**
 * Loads plain text (`.txt`, `.rst`, `.log`, `.csv`, and files of unknown type that sniff as
 * text) as one section starting at line 1.
 */
export function loadText(file: FileText): LoadedContent {
  return { kind: "text", sections: textSections(file.text), ...(file.warnings ? { warnings: file.warnings } : {}) };
}
