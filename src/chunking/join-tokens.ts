import { countTokens, LONG_RUN } from "./tokens.js";

/** A counted text and the white space that precedes it when texts are joined (see `Piece`). */
export interface CountedText {
  text: string;
  separator: string;
  /** `countTokens(text)`. */
  tokens: number;
}

/**
 * `countTokens` of `texts` joined by their separators (none before the first), tokenizing again only
 * what the counts already known cannot give exactly.
 *
 * o200k_base counts a text as the sum over the pieces its pre-tokenizing pattern cuts it into, and
 * that pattern reads left to right. At a join whose separator is only line breaks, left of a text that
 * starts with a character other than white space, the cut is known without tokenizing:
 * - after a letter or digit nothing reaches over the join, and the line breaks are one piece
 *   (`\s*[\r\n]+`): joined = left + right + the line breaks' own count;
 * - after a run of other characters (`.`, `)`, `|`, …) that run — with the space before it, if any —
 *   is one piece (` ?[^\s\p{L}\p{N}]+[\r\n/]*`) that takes the line breaks along, and ends there when
 *   the right text does not start with `/`: joined = left + right − count(run) + count(run + breaks).
 * Anything else (a space between words merges into the next word's token, a combining mark, a run of
 * {@link LONG_RUN}+ characters that `countTokens` may count by bytes) joins by counting the joined text.
 */
export function joinedTokens(texts: readonly CountedText[]): number {
  let total = 0;
  let start = 0;
  for (let index = 1; index < texts.length; index++) {
    const extra = joinTokens(texts, index);
    if (extra === undefined) continue;
    total += segmentTokens(texts, start, index) + extra;
    start = index;
  }
  return texts.length === 0 ? 0 : total + segmentTokens(texts, start, texts.length);
}

/** Tokens of `texts[start..end)` joined, from the one count known or by counting them. */
function segmentTokens(texts: readonly CountedText[], start: number, end: number): number {
  if (end - start === 1) return texts[start]!.tokens;
  let text = texts[start]!.text;
  for (let index = start + 1; index < end; index++) text += texts[index]!.separator + texts[index]!.text;
  return countTokens(text);
}

const LINE_BREAKS = /^\n+$/;
const SPACE = /\s/u;
const MARK = /\p{M}/u;
/** Characters that are not white space, letters or digits, at the end of a text. */
const OTHER_RUN = /[^\s\p{L}\p{N}]+$/u;

/**
 * Tokens that joining `texts[index]` to the text before it adds to the two counts (for the cases in
 * {@link joinedTokens}), or undefined when only counting the joined text can tell.
 */
function joinTokens(texts: readonly CountedText[], index: number): number | undefined {
  const { separator, text: right } = texts[index]!;
  if (!LINE_BREAKS.test(separator) || right === "" || SPACE.test(right[0]!)) return undefined;
  const leftPart = texts[index - 1]!;
  const left = leftPart.text;
  // The last run of the left text without white space, and what precedes it in the joined text.
  let runStart = left.length;
  while (runStart > 0 && !SPACE.test(left[runStart - 1]!)) {
    runStart--;
    if (left.length - runStart >= LONG_RUN) return undefined;
  }
  if (runStart === left.length) return undefined;
  let before: string | undefined;
  if (runStart > 0) before = left[runStart - 1];
  else if (index - 1 > 0) {
    // The run starts the text: it is whole only when white space precedes it.
    before = leftPart.separator.at(-1);
    if (before === undefined || !SPACE.test(before)) return undefined;
  }
  const run = left.slice(runStart);
  const other = OTHER_RUN.exec(run);
  // Ends with a letter or digit.
  if (other === null) return pairTokens("", separator);
  // A run starting with "/" may be the tail of a piece before it (`[\r\n/]*` after ".\n").
  if (MARK.test(other[0]) || right[0] === "/" || other[0][0] === "/") return undefined;
  // The space before the run belongs to its piece (` ?`); a tab or line break does not.
  const spaced = other.index === 0 && before === " ";
  const piece = spaced ? ` ${other[0]}` : other[0];
  return pairTokens(piece, separator) - pairTokens(piece, "");
}

const known = new Map<string, number>();

/** `countTokens(piece + separator)`, remembered (the same few separators and punctuation recur). */
function pairTokens(piece: string, separator: string): number {
  const key = `${piece}\u0000${separator}`;
  let tokens = known.get(key);
  if (tokens === undefined) {
    if (known.size >= 4096) known.clear();
    tokens = countTokens(piece + separator);
    known.set(key, tokens);
  }
  return tokens;
}
