import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/** Special-token markers such as `<|endoftext|>` in a document are plain text, not an error. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Estimated token count of `text`. Gemini's tokenizer is not public, so this uses OpenAI's
 * o200k_base BPE (via gpt-tokenizer, offline), which tracks it closely for prose and code.
 * Tokenizing is the chunkers' main cost: they count each piece once and add the counts up,
 * re-counting only a finished chunk.
 */
export function countTokens(text: string): number {
  return text === "" ? 0 : countO200k(text, PLAIN_TEXT);
}
