import type { EmbeddingConfig } from "../providers/types.js";

/** A piece of a document sized for one embedding input: the output of chunking. */
export interface Chunk {
  /** 0-based position within its document. */
  ordinal: number;
  /**
   * The text that is embedded and full-text indexed. For documents with headings the
   * heading path comes first as one line (`Install > From source`), then a blank line.
   */
  text: string;
  /** Heading path from the outermost heading in (`["Install", "From source"]`); empty when none. */
  headings: string[];
  /** 1-based page (PDF). */
  page?: number;
  /**
   * 1-based first line in the source file; for spreadsheets, the first row. Absent when the
   * document's text has no file lines (PDF pages, HTML and Word converted to Markdown): cite
   * the page or heading path instead.
   */
  lineStart?: number;
  /** 1-based last line (or spreadsheet row) in the source file, inclusive. */
  lineEnd?: number;
  /** The section's location label (sheet name, time range), when it has one. */
  location?: string;
  /** Token count of `text` (estimated by the tokenizer in chunking/tokens.ts). */
  tokens: number;
}

/** A chunk as stored: a Chunk plus its document's identity and (with embeddings) its vector. */
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

/** A document whose new version is being committed in parts (meta key `metaKeys.parts(path)`). */
export interface PartsMarker {
  /** Absolute path of the document. */
  path: string;
  source: string;
  /** Content hash of the version being written. */
  hash: string;
}
