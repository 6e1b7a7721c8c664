import type { Store } from "../store/open-store.js";
import { displayPath } from "./citation.js";

/** An indexed document, as listings show it. */
export interface DocumentInfo {
  /** Absolute path, as indexed. */
  path: string;
  displayPath: string;
  kind: string;
  title?: string;
  chunks: number;
  size: number;
  /** When it was last (re)indexed, ISO 8601. */
  indexedAt: string;
}

export interface ListDocumentsOptions {
  /** Continue after the page that returned this `nextCursor`. */
  cursor?: string;
  /** Documents per page. @default 100 */
  limit?: number;
}

/**
 * The indexed documents (failed ones left out) sorted by path, a page at a time. The cursor is
 * the last path of the previous page, so pages stay consistent while documents come and go.
 */
export async function listDocuments(
  context: { store: Store; cwd: string },
  options: ListDocumentsOptions = {},
): Promise<{ documents: DocumentInfo[]; nextCursor?: string }> {
  const limit = Math.max(1, options.limit ?? 100);
  const cursor = options.cursor === undefined ? undefined : Buffer.from(options.cursor);
  const documents: DocumentInfo[] = [];
  for await (const record of context.store.documents({ status: "indexed" })) {
    // Paths are compared as the bytes of their UTF-8 text, as before.
    if (cursor && Buffer.compare(Buffer.from(record.path), cursor) <= 0) continue;
    documents.push({
      path: record.path,
      displayPath: displayPath(record.path, context.cwd),
      kind: record.kind ?? "text",
      ...(record.title ? { title: record.title } : {}),
      chunks: record.chunks,
      size: record.size,
      indexedAt: record.indexedAt,
    });
  }
  // Byte order of the UTF-8 text (stable across platforms and locales).
  documents.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const page = documents.slice(0, limit);
  return { documents: page, ...(documents.length > limit ? { nextCursor: page.at(-1)!.path } : {}) };
}

/** The roots the index's documents were found under (folders or single files), sorted. */
export async function listSources(context: { store: Store }): Promise<string[]> {
  const roots = new Set<string>();
  for await (const record of context.store.documents()) roots.add(record.source);
  return [...roots].sort();
}
