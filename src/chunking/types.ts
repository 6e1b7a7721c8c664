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
  /** 1-based first line in the source file. */
  lineStart?: number;
  /** 1-based last line in the source file (inclusive). */
  lineEnd?: number;
  /** The section's location label (sheet name, time range), when it has one. */
  location?: string;
  /** Token count of `text` (estimate by the tokenizer in chunking/tokens.ts). */
  tokens: number;
}

export interface ChunkOptions {
  /** Target upper size of a chunk in tokens. @default 512 */
  maxTokens?: number;
  /** Tokens repeated from the end of one chunk at the start of the next. @default 64 */
  overlapTokens?: number;
}
