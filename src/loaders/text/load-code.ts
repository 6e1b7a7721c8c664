import type { LoadedContent } from "../types.js";
import type { FileText } from "./decode-text.js";
import { textSections } from "./load-text.js";

/**
 * Loads a source file as one section starting at line 1, recording its `language`
 * (from `CODE_LANGUAGES`) so the code chunker and search filters can use it.
 */
export function loadCode(file: FileText, language: string): LoadedContent {
  return {
    kind: "code",
    language,
    sections: textSections(file.text),
    ...(file.warnings ? { warnings: file.warnings } : {}),
  };
}
