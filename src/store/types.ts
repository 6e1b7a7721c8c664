import type { EmbeddingConfig } from "../providers/types.js";

/** A chunk as stored: its document's identity, its location and (with embeddings) its vector. */
export interface StoredChunk {
  /** `${path}#${ordinal}`. */
  id: string;
  path: string;
  source: string;
  kind: string;
  ordinal: number;
  text: string;
  headings: string[];
  page?: number;
  lineStart?: number;
  lineEnd?: number;
  /** Sheet name, time range: where the chunk sits when pages and lines do not say it. */
  location?: string;
  tokens: number;
  /** sha256 of `text`: chunks with the same hash reuse a vector instead of paying for it again. */
  hash: string;
  vector?: Float32Array;
  /** Image bytes embedded with the text by a multimodal model (in memory only, never stored). */
  media?: { mimeType: string; data: Uint8Array };
}

/** A manifest row: what was indexed from one file, written after its chunks. */
export interface DocumentRecord {
  path: string;
  source: string;
  kind?: string;
  /** sha256 of the file's bytes. */
  hash: string;
  size: number;
  mtimeMs: number;
  /** "failed" rows remember a file that could not be loaded, so an unchanged bad file is not retried. */
  status: "indexed" | "failed";
  error?: string;
  chunks: number;
  title?: string;
  indexedAt: string;
}

/** Facts recorded with the index. */
export interface IndexMeta {
  schemaVersion: number;
  /** null for a lexical-only index (built without an API key). */
  embedding: EmbeddingConfig | null;
  createdAt: string;
}

/** A chunk returned by a search, with the engine's raw score. */
export interface ChunkMatch extends Omit<StoredChunk, "vector"> {
  /** Cosine distance (vector search). */
  distance?: number;
  /** BM25 score (full-text search). */
  bm25?: number;
}

export interface SearchOptions {
  k: number;
  /** An SQL predicate over chunk columns. */
  where?: string;
}
