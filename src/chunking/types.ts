// The chunk shape is the contract between chunking and the store, so the store (the lower layer) owns it.
export type { Chunk } from "../store/types.js";

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
