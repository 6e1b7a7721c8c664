import type { Chunk } from "../chunking/types.js";
import type { EmbeddingConfig } from "../providers/types.js";

/** A chunk as stored: a chunking Chunk plus its document's identity and (with embeddings) its vector. */
export interface StoredChunk extends Chunk {
  /** `${path}#${ordinal}`. */
  id: string;
  path: string;
  source: string;
  kind: string;
  /** sha256 of what gets embedded (title, text, media bytes): chunks with the same hash reuse a vector. */
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
  /**
   * "failed" rows remember a file that could not be loaded, so an unchanged bad file is not
   * retried; "stale" rows describe documents whose chunks were found damaged or missing: the next
   * run re-indexes them (reusing whatever vectors are left) even though the file is unchanged.
   */
  status: "indexed" | "failed" | "stale";
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
