import type { Notice } from "../notices.js";
/** How chunks are ranked: by embedding similarity, by BM25, or by fusing both. */
export type SearchMode = "vector" | "lexical" | "hybrid";

/** A retrieved chunk with where it comes from. */
export interface Hit {
  /** 1-based rank; answers cite sources as `[rank]`. */
  rank: number;
  /** Higher is better; comparable only within one result list. */
  score: number;
  /** Per-engine scores: cosine similarity, BM25. */
  scores: { vector?: number; lexical?: number };
  /** Absolute path of the document. */
  path: string;
  /** The path as shown to the user (relative to the working directory when inside it). */
  displayPath: string;
  /** `guide.md:L10-L24`, `report.pdf:p3`. */
  citation: string;
  kind: string;
  text: string;
  headings: string[];
  page?: number;
  lineStart?: number;
  lineEnd?: number;
  /** Sheet name or time range, when the document has such places. */
  location?: string;
  chunkId: string;
}

export interface SearchFilter {
  /** Only documents whose path matches one of these globs (relative to the working directory, or absolute). */
  paths?: string[];
  /** Only these kinds ("markdown", "pdf", "code", ...). */
  kinds?: string[];
  /** Only documents indexed from these roots. */
  sources?: string[];
}

export interface SearchOptions {
  /** Hits to return. @default 8 */
  k?: number;
  /** @default "hybrid" when the index has vectors and a key is set, else "lexical" */
  mode?: SearchMode;
  filter?: SearchFilter;
  /** A query vector computed elsewhere (same model and form as the index's): no embedding call is made. */
  vector?: Float32Array;
  signal?: AbortSignal;
}

export interface SearchResult {
  query: string;
  mode: SearchMode;
  hits: Hit[];
  /** Why the mode differs from the one asked for, and similar things to tell the user. */
  notices: Notice[];
}
