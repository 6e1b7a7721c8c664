import { ConfigError } from "../errors.js";
import type { Chunk, ChunkOptions } from "./types.js";

/** Default of `ChunkOptions.maxTokens`. */
export const DEFAULT_MAX_TOKENS = 512;
/** Default of `ChunkOptions.overlapTokens`. */
export const DEFAULT_OVERLAP_TOKENS = 64;
/**
 * Default of `ChunkOptions.maxInputTokens`: the input limit of gemini-embedding-001 and of
 * most embedding models (gemini-embedding-2 takes 8192).
 */
export const DEFAULT_MAX_INPUT_TOKENS = 2048;
/** Smallest `maxTokens` accepted: below it a heading path alone could fill a chunk. */
export const MIN_MAX_TOKENS = 32;

/** {@link ChunkOptions} with defaults applied and checked. */
export interface ChunkSettings {
  maxTokens: number;
  overlapTokens: number;
  /**
   * The embedding model's input limit: no chunk is larger. A piece that must stay whole (a code
   * fence, a table row with its header, a spreadsheet row) may pass `maxTokens` up to this.
   */
  hardCapTokens: number;
}

/** A chunk before its position in the document is known. */
export type ChunkDraft = Omit<Chunk, "ordinal">;

/**
 * Applies defaults to chunk options and rejects values that cannot work.
 *
 * @throws ConfigError when `maxTokens` is not an integer of at least 32, `overlapTokens` is
 * negative or not less than half of `maxTokens` (each chunk must move forward), or
 * `maxInputTokens` is not an integer of at least `maxTokens` (chunks could not fit the model).
 */
export function resolveChunkOptions(options: ChunkOptions = {}): ChunkSettings {
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const overlapTokens = options.overlapTokens ?? Math.min(DEFAULT_OVERLAP_TOKENS, Math.floor(maxTokens / 4));
  const maxInputTokens = options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < MIN_MAX_TOKENS) {
    throw new ConfigError(`chunk maxTokens must be an integer of at least ${MIN_MAX_TOKENS} (got ${maxTokens})`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens * 2 >= maxTokens) {
    throw new ConfigError(
      `chunk overlapTokens must be an integer from 0 to less than half of maxTokens (${maxTokens}); got ` +
        `${overlapTokens}`,
    );
  }
  if (!Number.isInteger(maxInputTokens) || maxInputTokens < maxTokens) {
    throw new ConfigError(
      `chunk maxTokens (${maxTokens}) is above the embedding model's input limit (maxInputTokens ` +
        `${maxInputTokens}): lower maxTokens, or raise maxInputTokens for a model that takes more`,
    );
  }
  return { maxTokens, overlapTokens, hardCapTokens: maxInputTokens };
}
