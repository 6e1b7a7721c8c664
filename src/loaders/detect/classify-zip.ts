import type { ZipEntry } from "../office/read-zip-directory.js";

/** What a ZIP archive holds: a format gemindex reads, or a name for the "unsupported archive" reason. */
export type ZipKind =
  | { kind: "docx" }
  | { kind: "xlsx" }
  | { kind: "archive" /** "PowerPoint presentation", "OpenDocument file", "ZIP". */; label: string };

/**
 * Tells a Word document or an Excel workbook from any other ZIP by its entries: both are
 * Office Open XML packages (`[Content_Types].xml` at the root) with their main part at
 * `word/document.xml` or `xl/workbook.xml`. Macro-enabled variants (.docm, .xlsm) are the
 * same packages.
 */
export function classifyZip(entries: readonly ZipEntry[]): ZipKind {
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has("[Content_Types].xml")) {
    if (names.has("word/document.xml")) return { kind: "docx" };
    if (names.has("xl/workbook.xml")) return { kind: "xlsx" };
    if (names.has("ppt/presentation.xml")) return { kind: "archive", label: "PowerPoint presentation" };
    return { kind: "archive", label: "Office Open XML package" };
  }
  if (names.has("mimetype") && names.has("content.xml")) return { kind: "archive", label: "OpenDocument file" };
  if (names.has("mimetype") && names.has("META-INF/container.xml")) return { kind: "archive", label: "EPUB" };
  return { kind: "archive", label: "ZIP" };
}
