import type { DocumentSection } from "../loaders/types.js";
import { joinPieces } from "./join-pieces.js";
import { joinedTokens } from "./join-tokens.js";
import { packPieces } from "./pack-pieces.js";
import { type Piece, wholePiece } from "./piece.js";
import { placeDraft } from "./place-draft.js";
import type { ChunkDraft, ChunkSettings } from "./resolve-chunk-options.js";
import { splitText } from "./split-text.js";
import { countTokens } from "./tokens.js";

/** Between cells of a row line (`Header: value | Header: value`). */
const CELL_SEPARATOR = " | ";

/**
 * Chunks spreadsheet sections (one line per row, see `sheetSection`): consecutive whole rows up
 * to `maxTokens`, without overlap and without repeating anything (each row names its columns
 * already). A chunk's `lineStart`/`lineEnd` are its first and last spreadsheet row and
 * `location` the sheet. A row is never split — one above `maxTokens` is a chunk alone — unless
 * it is above the model's input limit (`hardCapTokens`): then it is cut between cells (or, for
 * a giant cell, between words), every part citing that row.
 */
export function chunkRows(sections: readonly DocumentSection[], settings: ChunkSettings): ChunkDraft[] {
  const drafts: ChunkDraft[] = [];
  for (const section of sections) {
    const firstRow = section.startLine ?? 1;
    let pending: Piece[] = [];
    const flush = () => {
      const packed = packPieces(pending, {
        budget: settings.maxTokens,
        overlapTokens: 0,
        measure: joinedTokens,
      });
      for (const { pieces, tokens } of packed) {
        const draft = {
          text: joinPieces(pieces),
          headings: [],
          tokens,
          lineStart: pieces[0]!.lineStart,
          lineEnd: pieces[pieces.length - 1]!.lineEnd,
        };
        drafts.push(placeDraft(draft, section));
      }
      pending = [];
    };
    let previous = -1;
    for (const [index, line] of section.text.split("\n").entries()) {
      if (line.trim() === "") continue;
      const row = firstRow + index;
      // Empty rows between data rows stay as blank lines, so a chunk reads like the sheet.
      const separator = pending.length === 0 ? "" : "\n".repeat(index - previous);
      previous = index;
      const tokens = line.length > settings.hardCapTokens * 24 ? Number.POSITIVE_INFINITY : countTokens(line);
      if (tokens <= settings.hardCapTokens) {
        pending.push(wholePiece(line, tokens, row, row, separator));
        continue;
      }
      flush();
      for (const part of splitRow(line, settings.hardCapTokens)) {
        drafts.push(
          placeDraft({ text: part.text, headings: [], tokens: part.tokens, lineStart: row, lineEnd: row }, section),
        );
      }
    }
    flush();
  }
  return drafts;
}

/**
 * A row above the input limit as parts within it: whole cells where they fit, words (then characters) of a cell that
 * does not.
 */
function splitRow(line: string, cap: number): Array<{ text: string; tokens: number }> {
  const parts: Array<{ text: string; tokens: number }> = [];
  let current = "";
  const push = (text: string) => {
    if (text.trim() !== "") parts.push({ text, tokens: countTokens(text) });
  };
  for (const cell of line.split(CELL_SEPARATOR)) {
    const joined = current === "" ? cell : current + CELL_SEPARATOR + cell;
    if (countTokens(joined) <= cap) {
      current = joined;
      continue;
    }
    push(current);
    current = "";
    if (countTokens(cell) <= cap) {
      current = cell;
      continue;
    }
    for (const piece of splitText(cell, { lineStart: 1, levels: ["word", "character"], budget: cap })) push(piece.text);
  }
  push(current);
  return parts;
}
