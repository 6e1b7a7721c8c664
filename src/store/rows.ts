import type { ChunkMatch, DocumentRecord, StoredChunk } from "./types.js";

/** Conversions between our records and LanceDB rows (snake_case columns, nulls for absent values). */

/** A chunk row; `documentHash` tags it with its document's version (see Store.replaceChunks). */
export function toChunkRow(chunk: StoredChunk, documentHash: string): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: chunk.id,
    doc_hash: documentHash,
    path: chunk.path,
    source: chunk.source,
    kind: chunk.kind,
    ordinal: chunk.ordinal,
    text: chunk.text,
    headings: chunk.headings.join(" > "),
    page: chunk.page ?? null,
    line_start: chunk.lineStart ?? null,
    line_end: chunk.lineEnd ?? null,
    location: chunk.location ?? null,
    tokens: chunk.tokens,
    hash: chunk.hash,
  };
  if (chunk.vector) row.vector = chunk.vector;
  return row;
}

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

export function toChunkMatch(row: Record<string, unknown>): ChunkMatch {
  const headings = String(row.headings ?? "");
  return {
    id: String(row.id),
    path: String(row.path),
    source: String(row.source),
    kind: String(row.kind),
    ordinal: Number(row.ordinal),
    text: String(row.text),
    headings: headings ? headings.split(" > ") : [],
    page: optionalNumber(row.page),
    lineStart: optionalNumber(row.line_start),
    lineEnd: optionalNumber(row.line_end),
    location: row.location === null || row.location === undefined ? undefined : String(row.location),
    tokens: Number(row.tokens),
    hash: String(row.hash),
  };
}

export function toDocumentRow(record: DocumentRecord): Record<string, unknown> {
  return {
    path: record.path,
    source: record.source,
    kind: record.kind ?? null,
    hash: record.hash,
    size: record.size,
    mtime_ms: record.mtimeMs,
    status: record.status,
    error: record.error ?? null,
    chunks: record.chunks,
    title: record.title ?? null,
    indexed_at: record.indexedAt,
  };
}

export function toDocumentRecord(row: Record<string, unknown>): DocumentRecord {
  return {
    path: String(row.path),
    source: String(row.source),
    kind: row.kind === null || row.kind === undefined ? undefined : String(row.kind),
    hash: String(row.hash),
    size: Number(row.size),
    mtimeMs: Number(row.mtime_ms),
    status: row.status === "failed" ? "failed" : "indexed",
    error: row.error === null || row.error === undefined ? undefined : String(row.error),
    chunks: Number(row.chunks),
    title: row.title === null || row.title === undefined ? undefined : String(row.title),
    indexedAt: String(row.indexed_at),
  };
}

