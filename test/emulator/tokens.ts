/** Token estimate used for chat usage, chat quotas and cache minimums: ceil(chars / 4). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Layout padding: a run of four or more of the same whitespace or punctuation character
 * (Markdown table cell padding, separator dashes, rules of `=` or `─`, runs of pipes or dots).
 */
const PADDING_RUN = /([^\p{L}\p{N}])\1{3,}/gu;

/**
 * Token count of an embedding input, at least as strict as Gemini's where a local tokenizer
 * disagrees with it most: layout padding. A client that counts with a BPE such as o200k sees a
 * run of 200 spaces as one or two tokens; Gemini counted a padded-table chunk of "512 tokens"
 * at 2,095. Here every padding run costs one token per two characters (rounded up), and
 * everything else ceil(chars / 4) — so padding that a client did not collapse is never cheap.
 */
export function countEmbeddingTokens(text: string): number {
  let padding = 0;
  let paddingChars = 0;
  for (const match of text.matchAll(PADDING_RUN)) {
    padding += Math.ceil(match[0].length / 2);
    paddingChars += match[0].length;
  }
  return padding + Math.ceil((text.length - paddingChars) / 4);
}

/**
 * The longest prefix of `text` whose {@link countEmbeddingTokens} is at most `limit` (what an
 * auto-truncating service embeds).
 */
export function truncateToTokens(text: string, limit: number): string {
  if (countEmbeddingTokens(text) <= limit) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (countEmbeddingTokens(text.slice(0, middle)) <= limit) low = middle;
    else high = middle - 1;
  }
  return text.slice(0, low);
}
