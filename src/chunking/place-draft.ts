import type { DocumentSection } from "../loaders/types.js";
import type { ChunkDraft } from "./resolve-chunk-options.js";

/**
 * Gives a chunk the place its section has in the document: the section's page and location
 * label, and line numbers only when the section's lines are file lines (it has a `startLine`
 * and no `page`). Chunkers count lines from 1 when a section has none; those numbers are
 * dropped here rather than shown as if they were the file's.
 */
export function placeDraft(draft: ChunkDraft, section: DocumentSection): ChunkDraft {
  const { lineStart, lineEnd, ...rest } = draft;
  const lines =
    section.startLine !== undefined && section.page === undefined && lineStart !== undefined
      ? { lineStart, lineEnd }
      : {};
  return {
    ...rest,
    ...(section.page === undefined ? {} : { page: section.page }),
    ...lines,
    ...(section.location === undefined ? {} : { location: section.location }),
  };
}
