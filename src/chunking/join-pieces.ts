import type { Piece } from "./piece.js";

/** The text of consecutive pieces: each piece's separator between them, none before the first. */
export function joinPieces(pieces: readonly Piece[]): string {
  let text = "";
  for (const [index, piece] of pieces.entries()) text += (index === 0 ? "" : piece.separator) + piece.text;
  return text;
}
