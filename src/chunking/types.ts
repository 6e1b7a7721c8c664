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
  /** Token count of `text` (estimate by the tokenizer in chunking/tokens.ts). */
  tokens: number;
}

export interface ChunkOptions {
  /** Target upper size of a chunk in tokens. @default 512 */
  maxTokens?: number;
  /**
   * Hard upper size of a chunk in tokens: the embedding model's input limit (2048 for
   * gemini-embedding-001, 8192 for gemini-embedding-2; pass `Embedder.limits.maxInputTokens`).
   * Pieces that are kept whole — a code fence, a table row with its header, a spreadsheet row —
   * may pass `maxTokens` up to this, never beyond: above it they are cut. At least `maxTokens`.
   * @default 2048
   */
  maxInputTokens?: number;
  /** Tokens repeated from the end of one chunk at the start of the next. @default 64 */
  overlapTokens?: number;
}
