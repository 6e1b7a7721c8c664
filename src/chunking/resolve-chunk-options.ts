import { ConfigError } from "../errors.js";
import type { Chunk, ChunkOptions } from "./types.js";

/** Default of `ChunkOptions.maxTokens`. */
export const DEFAULT_MAX_TOKENS = 512;
/** Default of `ChunkOptions.overlapTokens`. */
export const DEFAULT_OVERLAP_TOKENS = 64;
/**
 * Size up to which a Markdown code fence stays whole even above `maxTokens` (the input limit
 * of Gemini's embedding models): a function cut in half answers no question.
 */
export const FENCE_HARD_CAP_TOKENS = 2048;
/** Smallest `maxTokens` accepted: below it a heading path alone could fill a chunk. */
export const MIN_MAX_TOKENS = 32;

/** {@link ChunkOptions} with defaults applied and checked. */
export interface ChunkSettings {
  maxTokens: number;
  overlapTokens: number;
  /** Largest chunk a whole code fence may make: `max(FENCE_HARD_CAP_TOKENS, maxTokens)`. */
  hardCapTokens: number;
}

/** A chunk before its position in the document is known. */
export type ChunkDraft = Omit<Chunk, "ordinal">;

/**
 * Applies defaults to chunk options and rejects values that cannot work.
 *
 * @throws ConfigError when `maxTokens` is not an integer of at least 32, or `overlapTokens` is
 * negative or not less than half of `maxTokens` (each chunk must move forward).
 */
export function resolveChunkOptions(options: ChunkOptions = {}): ChunkSettings {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const overlapTokens = options.overlapTokens ?? Math.min(DEFAULT_OVERLAP_TOKENS, Math.floor(maxTokens / 4));
  if (!Number.isInteger(maxTokens) || maxTokens < MIN_MAX_TOKENS) {
    throw new ConfigError(`chunk maxTokens must be an integer of at least ${MIN_MAX_TOKENS} (got ${maxTokens})`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens * 2 >= maxTokens) {
    throw new ConfigError(`chunk overlapTokens must be an integer from 0 to less than half of maxTokens (${maxTokens}); got ${overlapTokens}`);
  }
  return { maxTokens, overlapTokens, hardCapTokens: Math.max(FENCE_HARD_CAP_TOKENS, maxTokens) };
}
