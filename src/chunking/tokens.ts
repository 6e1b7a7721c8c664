import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/** Special-token markers such as `<|endoftext|>` in a document are plain text, not an error. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Runs without white space at least this long are counted by their bytes, not tokenized. */
const LONG_RUN = /[^\s]{256,}/g;
const encoder = new TextEncoder();

/**
 * Estimated token count of `text`. Gemini's tokenizer is not public, so this uses OpenAI's
 * o200k_base BPE (via gpt-tokenizer, offline), which tracks it closely for prose and code.
 * Tokenizing is the chunkers' main cost: they count each piece once and add the counts up,
 * re-counting only a finished chunk.
 *
 * A varied run of 256+ characters without white space (a data URI, a base64 blob, a minified
 * line; not a table rule of dashes) is counted as its UTF-8 byte length instead: BPE on such
 * text crawls (70–135 KB/s) and the byte length can never be below the real count (every token
 * covers at least one byte), so a chunk measured this way never passes the model's input limit.
 */
export function countTokens(text: string): number {
  if (text === "") return 0;
  if (text.length < 256) return countO200k(text, PLAIN_TEXT);
  let tokens = 0;
  let last = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    // Repetitive runs (table rules, "=====") tokenize fast and compress well: only varied ones count by bytes.
    if (!varied(match[0])) continue;
    if (match.index > last) tokens += countO200k(text.slice(last, match.index), PLAIN_TEXT);
    tokens += encoder.encode(match[0]).length;
    last = match.index + match[0].length;
  }
  if (last === 0) return countO200k(text, PLAIN_TEXT);
  return last < text.length ? tokens + countO200k(text.slice(last), PLAIN_TEXT) : tokens;
}

/** Whether a run looks like encoded data: at least 16 different characters among its first 256. */
function varied(run: string): boolean {
  const seen = new Set<number>();
  for (let index = 0; index < 256 && seen.size < 16; index++) seen.add(run.charCodeAt(index));
  return seen.size >= 16;
}
