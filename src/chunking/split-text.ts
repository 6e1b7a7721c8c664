import { Break, type Piece, type SplitLevel } from "./piece.js";
import { countTokens } from "./tokens.js";

/** Options of {@link splitText}. */
export interface SplitTextOptions {
  /** 1-based source line of the first character of the text. */
  lineStart: number;
  /** Levels to split by, coarse to fine, until each piece fits `budget`. */
  levels: readonly SplitLevel[];
  /** Largest piece, in tokens. */
  budget: number;
  /** Whitespace before the text in the source, kept on the first piece. @default "" */
  separator?: string;
  /** Boundary strength before the text, kept on the first piece. @default Break.paragraph */
  breakBefore?: number;
}

/**
 * Prose averages about 4 characters a token; a text this many times `budget` long cannot fit, so it is split without
 * counting it first.
 */
const MAX_CHARACTERS_PER_TOKEN = 24;

/**
 * Recursive splitter: cuts `text` at the first level (e.g. paragraphs), and any part still
 * above `budget` tokens at the next (lines, sentences, words, and finally characters), so every
 * piece fits. Each piece's tokens are counted once; parts are counted only while they might be
 * too big. Pieces keep the whitespace between them as separators, so joining them restores the
 * text, and carry their source line range.
 */
export function splitText(text: string, options: SplitTextOptions): Piece[] {
  const leadingBlankLines = /^(?:[ \t]*\n)*/.exec(text)![0];
  const body = text.slice(leadingBlankLines.length).trimEnd();
  if (body.trim() === "") return [];
  const pieces: Piece[] = [];
  split(
    body,
    (options.separator ?? "") + leadingBlankLines,
    options.breakBefore ?? Break.paragraph,
    options.lineStart + countLineBreaks(leadingBlankLines),
    options.levels,
    options.budget,
    pieces,
  );
  return pieces;
}

/** Split levels from coarse to fine. */
const LEVEL_ORDER: readonly SplitLevel[] = ["paragraph", "block", "line", "sentence", "word", "character"];

/**
 * Splits a piece one level finer than it was made, whatever its size, but never finer than
 * `finest`: the end of a chunk repeated as overlap at the start of the next is taken from
 * these. Returns `[piece]` when it cannot be split further.
 */
export function refinePiece(piece: Piece, finest: Exclude<SplitLevel, "character"> = "word"): Piece[] {
  for (let index = 0; index < piece.finer.length; index++) {
    const level = piece.finer[index]!;
    if (level === "character" || LEVEL_ORDER.indexOf(level) > LEVEL_ORDER.indexOf(finest)) break;
    const parts = splitAtLevel(piece.text, level);
    if (parts.length < 2) continue;
    const finer = piece.finer.slice(index + 1);
    let line = piece.lineStart;
    return parts.map((part, partIndex) => {
      line += countLineBreaks(part.separator);
      const lineStart = line;
      line += countLineBreaks(part.text);
      return {
        text: part.text,
        separator: partIndex === 0 ? piece.separator + part.separator : part.separator,
        lineStart,
        lineEnd: line,
        tokens: countTokens(part.text),
        breakBefore: partIndex === 0 ? piece.breakBefore : part.breakBefore,
        finer,
      };
    });
  }
  return [piece];
}

function split(
  text: string,
  separator: string,
  breakBefore: number,
  lineStart: number,
  levels: readonly SplitLevel[],
  budget: number,
  out: Piece[],
): void {
  if (text.trim() === "") return;
  const tokens = text.length > budget * MAX_CHARACTERS_PER_TOKEN ? undefined : countTokens(text);
  if (tokens !== undefined && (tokens <= budget || levels.length === 0)) {
    out.push({
      text,
      separator,
      lineStart,
      lineEnd: lineStart + countLineBreaks(text),
      tokens,
      breakBefore,
      finer: levels,
    });
    return;
  }
  const [level, ...finer] = levels as [SplitLevel, ...SplitLevel[]];
  if (level === undefined) {
    // Only reachable for an uncounted giant text with no levels left: count it after all.
    split(text, separator, breakBefore, lineStart, [], Number.POSITIVE_INFINITY, out);
    return;
  }
  const parts = level === "character" ? splitCharacters(text, budget, tokens) : splitAtLevel(text, level);
  if (parts.length < 2) {
    split(text, separator, breakBefore, lineStart, finer, budget, out);
    return;
  }
  // Character cuts keep their level: a part may still be too big and is cut again, smaller.
  const next = level === "character" ? levels : finer;
  let line = lineStart;
  for (const [index, part] of parts.entries()) {
    line += countLineBreaks(part.separator);
    split(
      part.text,
      index === 0 ? separator + part.separator : part.separator,
      index === 0 ? breakBefore : part.breakBefore,
      line,
      next,
      budget,
      out,
    );
    line += countLineBreaks(part.text);
  }
}

interface Part {
  text: string;
  separator: string;
  breakBefore: number;
}

const PARAGRAPH_GAP = /\n(?:[ \t]*\n)+/g;
/**
 * After sentence-ending punctuation (and closing quotes or brackets) followed by whitespace; CJK full stops need none.
 */
const SENTENCE_END = /(?<=[.!?…。！？](?:["'”’)\]]*))[ \t]+|(?<=[。！？])(?=\S)/g;
const WHITESPACE = /\s+/g;
/** A top-level declaration, decorator or comment at column 0: the best place to cut code. */
const DECLARATION = new RegExp(
  "^(?:(?:export|default|pub(?:\\([^)]*\\))?|public|private|protected|internal|static|abstract|final|sealed|async|" +
    "unsafe|extern|inline|open|override|data|declare)\\s+)*" +
    "(?:function\\*?|class|interface|type|enum|const|let|var|def|fn|func|fun|struct|impl|trait|mod|module|namespace|" +
    "package|object|record|val|macro_rules!|import|from|use|create|alter|resource|template|typedef|union)\\b" +
    "|^(?:@[\\w.]|\\/\\/|\\/\\*|#|--)",
  "i",
);

/** Modifiers that may precede a member declaration (Java, C#, Kotlin, TypeScript, Rust, Swift, PHP). */
const MODIFIERS =
  "public|private|protected|internal|static|final|abstract|override|readonly|async|virtual|sealed|synchronized|" +
  "native|open|suspend|inline|get|set|pub(?:\\([^)]*\\))?|unsafe|extern|const|default|export";
/**
 * A declaration one indentation level in (1–4 spaces or a tab), where a class, `impl` or
 * object body declares its members: a decorator or annotation, a doc comment (`/**`, `///`)
 * or Rust attribute, a keyword (`def`, `fn`, `func`, `function`, `class`…), modifiers followed
 * by a name and `(` (`public int size(`, `async load(`), or a method header `name(…) {`
 * that is not a control statement.
 */
const MEMBER = new RegExp(
  "^(?: {1,4}|\\t)(?=\\S)(?:" +
    "@[\\w.]|\\/\\*\\*|\\/\\/\\/|#\\[" +
    `|(?:(?:${MODIFIERS})\\s+)*` +
    "(?:def|fn|func|fun|function|class|interface|enum|struct|impl|trait|record|constructor|init)\\b" +
    `|(?:(?:${MODIFIERS})\\s+)+[^=;(]*\\(` +
    "|(?!(?:if|for|foreach|while|switch|catch|with|return|else|do|try|new|await|yield|throw|using|lock|match" +
    "|loop)\\b)" +
    "(?:[\\w<>\\[\\],.?]+\\s+)*[A-Za-z_$][\\w$]*\\s*(?:<[^>()]*>)?\\s*\\([^;]*\\{\\s*$" +
    ")",
);

/** How strong a blank-line boundary before a block of code is, from the block's first line. */
function codeBlockStrength(next: string): number {
  const firstLine = next.slice(0, Math.min(next.length, 300)).split("\n", 1)[0]!;
  if (DECLARATION.test(firstLine)) return Break.declaration;
  return MEMBER.test(firstLine) ? Break.member : Break.paragraph;
}

function splitAtLevel(text: string, level: Exclude<SplitLevel, "character">): Part[] {
  switch (level) {
    case "paragraph":
      return splitBy(text, PARAGRAPH_GAP, () => Break.paragraph);
    case "block":
      return splitBy(text, PARAGRAPH_GAP, codeBlockStrength);
    case "line":
      return splitBy(text, /\n/g, () => Break.line);
    case "sentence":
      return splitBy(text, SENTENCE_END, () => Break.sentence);
    case "word":
      return splitBy(text, WHITESPACE, () => Break.word);
  }
}

/**
 * Cuts `text` at every match of `pattern`, each part keeping the matched whitespace before it
 * as its separator. Whitespace-only parts join the next separator. A separator containing a
 * blank line or a line break is at least that strong a boundary, whatever the level.
 */
function splitBy(text: string, pattern: RegExp, strength: (next: string) => number): Part[] {
  const parts: Part[] = [];
  let pendingSeparator = "";
  let cursor = 0;
  const push = (end: number, separatorAfter: string) => {
    const segment = text.slice(cursor, end);
    if (segment.trim() === "") {
      pendingSeparator += segment + separatorAfter;
      return;
    }
    const separator = pendingSeparator;
    const breakBefore = Math.max(
      strength(segment),
      /\n[ \t]*\n/.test(separator) ? Break.paragraph : separator.includes("\n") ? Break.line : 0,
    );
    parts.push({ text: segment, separator, breakBefore });
    pendingSeparator = separatorAfter;
  };
  for (const match of text.matchAll(pattern)) {
    if (match.index === 0 && match[0] === "") continue;
    push(match.index, match[0]);
    cursor = match.index + match[0].length;
  }
  push(text.length, "");
  return parts;
}

/**
 * Cuts a text with no usable whitespace (a long URL, base64, minified code, CJK without
 * punctuation) into runs of characters sized from its token density, never inside a
 * surrogate pair.
 */
function splitCharacters(text: string, budget: number, tokens: number | undefined): Part[] {
  const density = tokens === undefined ? 4 : text.length / tokens;
  const size = Math.max(1, Math.min(text.length - 1, Math.floor(density * budget * 0.9)));
  const parts: Part[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + size);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end++;
    parts.push({ text: text.slice(start, end), separator: "", breakBefore: Break.character });
    start = end;
  }
  return parts;
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let index = text.indexOf("\n"); index >= 0; index = text.indexOf("\n", index + 1)) count++;
  return count;
}
