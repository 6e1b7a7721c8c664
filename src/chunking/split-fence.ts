import type { MarkdownBlock } from "../loaders/markdown/parse-markdown.js";
import { type Piece, wholePiece } from "./piece.js";
import { splitText } from "./split-text.js";
import { countTokens } from "./tokens.js";

type Fence = Extract<MarkdownBlock, { type: "fence" }>;

/** Where a fence sits and how big its parts may be. */
export interface FenceContext {
  /** The section's lines; `fence.start`/`end` index into them. */
  lines: readonly string[];
  /** 1-based file line of `lines[0]`. */
  firstLine: number;
  /** Largest piece, in tokens. */
  cap: number;
  separator: string;
}

/**
 * A fenced code block as pieces that stay whole. A fence within `cap` is one piece. A larger
 * one is cut between lines into the fewest near-equal parts, each wrapped in the original
 * opening line (with its info string) and a closing fence, so every part still renders, and is
 * highlighted, as code. A single line longer than the cap is cut at whitespace or characters.
 */
export function splitFence(fence: Fence, context: FenceContext): Piece[] {
  const { lines, firstLine, cap } = context;
  const whole = lines.slice(fence.start, fence.end + 1).join("\n");
  const wholeTokens = whole.length > cap * 24 ? Number.POSITIVE_INFINITY : countTokens(whole);
  if (wholeTokens <= cap) {
    return [wholePiece(whole, wholeTokens, firstLine + fence.start, firstLine + fence.end, context.separator)];
  }

  const opening = fence.opening;
  const closing = fence.closing ?? `${/^ */.exec(opening)![0]}${/[`~]{3,}/.exec(opening)![0]}`;
  const bodyEnd = fence.closing === undefined ? fence.end : fence.end - 1;
  const wrapper = countTokens(opening) + countTokens(closing) + 2;
  const room = Math.max(1, cap - wrapper);

  // Each line counted once; lines above the room are cut first so that every unit fits.
  const units: Array<{ text: string; line: number; tokens: number }> = [];
  for (let index = fence.start + 1; index <= bodyEnd; index++) {
    const text = lines[index]!;
    const tokens = text.length > room * 24 ? Number.POSITIVE_INFINITY : countTokens(text) + 1;
    if (tokens <= room) {
      units.push({ text, line: firstLine + index, tokens });
      continue;
    }
    for (const part of splitText(text, {
      lineStart: firstLine + index,
      levels: ["word", "character"],
      budget: room - 1,
    })) {
      units.push({ text: part.text, line: part.lineStart, tokens: part.tokens + 1 });
    }
  }
  const total = units.reduce((sum, unit) => sum + unit.tokens, 0);
  const target = Math.ceil(total / Math.ceil(total / room));

  const pieces: Piece[] = [];
  let group: typeof units = [];
  let groupTokens = 0;
  const flush = (last: boolean) => {
    if (group.length === 0) return;
    const first = pieces.length === 0;
    const text = `${opening}\n${group.map((unit) => unit.text).join("\n")}\n${closing}`;
    const lineStart = first ? firstLine + fence.start : group[0]!.line;
    const lineEnd = last ? firstLine + fence.end : group[group.length - 1]!.line;
    pieces.push(wholePiece(text, countTokens(text), lineStart, lineEnd, first ? context.separator : "\n"));
    group = [];
    groupTokens = 0;
  };
  for (const unit of units) {
    if (group.length > 0 && (groupTokens + unit.tokens > room || groupTokens >= target)) flush(false);
    group.push(unit);
    groupTokens += unit.tokens;
  }
  flush(true);
  return pieces;
}
