import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/** Special-token markers such as `<|endoftext|>` in a document are plain text, not an error. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Runs without white space at least this long are counted by their bytes, not tokenized. */
export const LONG_RUN = 256;
const encoder = new TextEncoder();

/**
 * Estimated token count of `text`. Gemini's tokenizer is not public, so this uses OpenAI's
 * o200k_base BPE (via gpt-tokenizer, offline), which tracks it closely for prose and code.
 * Tokenizing is the chunkers' main cost: they count each piece once and add the counts up,
 * re-counting a finished chunk only where its joins are not known exactly (see `joinedTokens`).
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
  for (const [start, end] of longRuns(text)) {
    const run = text.slice(start, end);
    // Repetitive runs (table rules, "=====") tokenize fast and compress well: only varied ones count by bytes.
    if (!varied(run)) continue;
    if (start > last) tokens += countO200k(text.slice(last, start), PLAIN_TEXT);
    tokens += encoder.encode(run).length;
    last = end;
  }
  if (last === 0) return countO200k(text, PLAIN_TEXT);
  return last < text.length ? tokens + countO200k(text.slice(last), PLAIN_TEXT) : tokens;
}

/**
 * [start, end) of each run of {@link LONG_RUN}+ characters without white space (as `\s` means in
 * a regular expression). A loop over char codes: the equivalent `/\S{256,}/g` retries at every
 * position of every word, and was a tenth of a clean run's CPU time.
 */
function* longRuns(text: string): Generator<[number, number]> {
  let start = 0;
  for (let index = 0; index <= text.length; index++) {
    if (index < text.length && !isSpace(text.charCodeAt(index))) continue;
    if (index - start >= LONG_RUN) yield [start, index];
    start = index + 1;
  }
}

/** `\s` of a regular expression: ASCII white space, NBSP, BOM and the Unicode space separators. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Whether a run looks like encoded data: at least 16 different characters among its first 256. */
function varied(run: string): boolean {
  const seen = new Set<number>();
  for (let index = 0; index < 256 && seen.size < 16; index++) seen.add(run.charCodeAt(index));
  return seen.size >= 16;
}
