/** Whitespace other than a line break. */
const HORIZONTAL_SPACE = /[^\S\n]+/g;
/** A run of four or more of the same punctuation or symbol character (`-----`, `=====`, `─────`, `.....`). */
const REPEATED_MARK = /([^\p{L}\p{N}\s])\1{3,}/gu;

/** What collapseLayout changes: white space other than single spaces, repeated marks, trailing or extra blank space. */
const NEEDS_COLLAPSE = /[^\S\n ]| {2}|([^\p{L}\p{N}\s])\1{3}| \n|\n{3}|^\s|\s$/u;

/**
 * The text to send for embedding, with layout padding collapsed: runs of spaces and tabs
 * (Markdown table cell padding, alignment, indentation) become one space, runs of a repeated
 * mark (table separator dashes, `====` rules, box-drawing lines, dot leaders) become three of
 * it, trailing spaces and more than one blank line go. Words, numbers and line structure stay,
 * so the meaning a model sees is the same.
 *
 * Why: tokenizers disagree most on padding. A table padded to a width of 200 characters a
 * cell is ~500 tokens by OpenAI's o200k but several times that by Gemini's count (a "512-token"
 * chunk was counted at 2,095, over the 2,048 limit), and padding is paid for as tokens. The
 * stored chunk text and its citations keep the source as written.
 */
export function collapseLayout(text: string): string {
  // Most prose has nothing to collapse: one test instead of rewriting every line.
  if (!NEEDS_COLLAPSE.test(text)) return text;
  return text
    .split("\n")
    .map((line) => line.replace(HORIZONTAL_SPACE, " ").replace(REPEATED_MARK, "$1$1$1").trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
