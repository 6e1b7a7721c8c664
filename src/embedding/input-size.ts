import { countTokens } from "../chunking/tokens.js";

/**
 * Characters per token below which no tokenizer of a Gemini embedding model is expected to go on
 * text whose layout padding is collapsed (English prose is ~4, code ~3.5): bounding an input by
 * it as well as by the local token count keeps it under the limit where the tokenizers differ.
 */
const MIN_CHARS_PER_TOKEN = 3;

/** Share of a model's input limit an input may fill by the conservative count: room for a title prefix and drift. */
const INPUT_LIMIT_SHARE = 0.9;

/**
 * The most tokens the service may count for `text`, conservatively: the larger of the local
 * tokenizer's count and one token per three characters. `tokens` is the local count when known.
 */
export function inputTokenBound(text: string, tokens = countTokens(text)): number {
  return Math.max(tokens, Math.ceil(text.length / MIN_CHARS_PER_TOKEN));
}

/**
 * The tokens the service is expected to bill for `text` (its quota counts these): the larger of
 * the local count and one token per four characters.
 */
export function billedTokens(text: string, tokens = countTokens(text)): number {
  return Math.max(tokens, Math.ceil(text.length / 4));
}

/** The conservative token budget of one input for a model taking `maxInputTokens`. */
export function inputBudget(maxInputTokens: number): number {
  return Math.max(1, Math.floor(maxInputTokens * INPUT_LIMIT_SHARE));
}

/** Where a text may be cut, best first: paragraphs, lines, sentences, words, anywhere. */
const BREAKS = [/\n\n/g, /\n/g, /[.!?;:]\s/g, /\s/g];

/**
 * Splits `text` into consecutive parts whose {@link inputTokenBound} is at most `budget`, cutting
 * at the paragraph, line, sentence or word boundary nearest the middle (anywhere as a last
 * resort). Nothing is dropped: the parts joined are the text. One part when it fits already.
 */
export function splitToFit(text: string, budget: number): string[] {
  if (inputTokenBound(text) <= budget || text.length < 2) return [text];
  const cut = cutNearMiddle(text);
  return [...splitToFit(text.slice(0, cut), budget), ...splitToFit(text.slice(cut), budget)];
}

/** A cut position strictly inside `text`, at the best boundary within its middle half. */
export function cutNearMiddle(text: string): number {
  const middle = Math.floor(text.length / 2);
  const window = Math.floor(text.length / 4);
  for (const pattern of BREAKS) {
    let best: number | undefined;
    for (const match of text.matchAll(pattern)) {
      const at = match.index + match[0].length;
      if (at <= 0 || at >= text.length || Math.abs(at - middle) > window) continue;
      if (best === undefined || Math.abs(at - middle) < Math.abs(best - middle)) best = at;
    }
    if (best !== undefined) return best;
  }
  // Do not cut a surrogate pair in two.
  const code = text.charCodeAt(middle);
  return code >= 0xdc00 && code <= 0xdfff ? middle + 1 : middle;
}
