import type { MarkdownBlock } from "../loaders/markdown/parse-markdown.js";
import { Break, type Piece, wholePiece } from "./piece.js";
import { splitText } from "./split-text.js";
import { countTokens } from "./tokens.js";

type Table = Extract<MarkdownBlock, { type: "table" }>;

/** Where a table sits and how big its parts may be. */
export interface TableContext {
  /** The section's lines; `table.start`/`end` index into them. */
  lines: readonly string[];
  /** 1-based file line of `lines[0]`. */
  firstLine: number;
  /** Largest piece, in tokens. */
  budget: number;
  /** Largest piece a single row with its header may make before the row itself is cut. */
  cap: number;
  separator: string;
}

/**
 * A GFM table as pieces that stay whole. A table within `budget` is one piece. A larger one
 * is cut between rows, never inside one, and every part repeats the header row and delimiter
 * row so each chunk is a readable table; a part's line range covers its own rows (the first
 * part's also the header). A single row too big even for `cap` is cut as text.
 */
export function splitTable(table: Table, context: TableContext): Piece[] {
  const { lines, firstLine, budget } = context;
  const whole = lines.slice(table.start, table.end + 1).join("\n");
  const wholeTokens = whole.length > budget * 24 ? Number.POSITIVE_INFINITY : countTokens(whole);
  if (wholeTokens <= budget)
    return [wholePiece(whole, wholeTokens, firstLine + table.start, firstLine + table.end, context.separator)];

  const header = `${lines[table.start]!}\n${lines[table.start + 1]!}`;
  const headerTokens = countTokens(header) + 1;
  const pieces: Piece[] = [];
  let rows: number[] = [];
  let rowsTokens = 0;
  const flush = () => {
    if (rows.length === 0) return;
    const text = `${header}\n${rows.map((row) => lines[row]!).join("\n")}`;
    const lineStart = pieces.length === 0 ? firstLine + table.start : firstLine + rows[0]!;
    pieces.push(
      wholePiece(
        text,
        countTokens(text),
        lineStart,
        firstLine + rows[rows.length - 1]!,
        pieces.length === 0 ? context.separator : "\n",
      ),
    );
    rows = [];
    rowsTokens = 0;
  };
  for (let row = table.start + 2; row <= table.end; row++) {
    const line = lines[row]!;
    const tokens = line.length > context.cap * 24 ? Number.POSITIVE_INFINITY : countTokens(line) + 1;
    if (headerTokens + tokens > context.cap) {
      flush();
      const parts = splitText(line, {
        lineStart: firstLine + row,
        levels: ["word", "character"],
        budget,
        separator: "\n",
        breakBefore: Break.line,
      });
      pieces.push(...parts);
      continue;
    }
    if (rows.length > 0 && headerTokens + rowsTokens + tokens > budget) flush();
    rows.push(row);
    rowsTokens += tokens;
  }
  flush();
  return pieces;
}
