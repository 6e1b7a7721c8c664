/**
 * How strong a boundary is; chunkers cut at the strongest boundary that keeps a chunk well
 * filled. Higher is stronger.
 */
export const Break = {
  /** Inside a word that had to be cut by characters. */
  character: 0,
  word: 1,
  sentence: 2,
  line: 3,
  /** A blank line: between paragraphs, or between Markdown blocks. */
  paragraph: 4,
  /** A blank line before a member declaration one level in (a method in a class or impl block). */
  member: 5,
  /** A blank line before a top-level declaration in code. */
  declaration: 6,
} as const;

/**
 * A span of a document's text that chunking moves as a whole: a paragraph, line, sentence or
 * word, a whole code fence, or a piece of a split table. A chunk's text is its pieces'
 * `text`s joined by their `separator`s, which for pieces cut from the source reproduces the
 * source exactly.
 */
export interface Piece {
  /** Contains non-whitespace; never starts or ends with a line break. */
  text: string;
  /** The whitespace that precedes `text` in the source (ignored at the start of a chunk). */
  separator: string;
  /** 1-based source line of the first and last character of `text` (0 when the format has no lines). */
  lineStart: number;
  lineEnd: number;
  /** `countTokens(text)`. */
  tokens: number;
  /** Strength of the boundary before this piece (a `Break` value). */
  breakBefore: number;
  /**
   * How to split this piece finer when only its end is wanted (for overlap): the splitter
   * levels still available. Empty for pieces that must stay whole (fences, tables).
   */
  finer: readonly SplitLevel[];
}

/** A way of splitting text, from coarse to fine; see `splitText`. */
export type SplitLevel = "paragraph" | "block" | "line" | "sentence" | "word" | "character";

/** A piece that must stay whole (a code fence, a table or part of one): overlap repeats it whole or not at all. */
export function wholePiece(text: string, tokens: number, lineStart: number, lineEnd: number, separator: string): Piece {
  return { text, separator, lineStart, lineEnd, tokens, breakBefore: Break.paragraph, finer: [] };
}
