import type { Piece, SplitLevel } from "./piece.js";
import { refinePiece } from "./split-text.js";

/** Options of {@link packPieces}. */
export interface PackOptions {
  /** Largest chunk, in tokens, including `fixedTokens`. */
  budget: number;
  /** Tokens from the end of one chunk repeated at the start of the next. */
  overlapTokens: number;
  /** Tokens every chunk carries besides its pieces (a heading path line). @default 0 */
  fixedTokens?: number;
  /**
   * The finest cut an overlap may start at: "line" keeps code overlap to whole lines, "word"
   * lets prose overlap start mid-sentence when a sentence is longer than the overlap.
   * @default "word"
   */
  overlapFinest?: Exclude<SplitLevel, "character">;
  /**
   * Exact token count of the chunk made of `pieces` (called once per chunk, more only when the running estimate was
   * low).
   */
  measure: (pieces: readonly Piece[]) => number;
}

/** The pieces of one chunk (overlap first) and its exact token count. */
export interface PackedChunk {
  pieces: Piece[];
  tokens: number;
}

/**
 * A chunk is cut at the strongest boundary that leaves it at least this full; below it, a
 * chunk ends at the last boundary that fits, so a stray short paragraph does not become a
 * chunk of its own.
 */
const MIN_FILL = 0.25;

/**
 * Groups consecutive pieces into chunks of at most `budget` tokens.
 *
 * Greedy with look-back: a chunk takes pieces while they fit, then ends at the strongest
 * boundary (declaration > blank line > line > sentence > word) among those that leave it at
 * least a quarter full, the latest one on a tie. The next chunk starts with up to
 * `overlapTokens` from the end of the previous one (never more than half of it), taken from
 * whole pieces and, at its edge, from a piece split finer; pieces that must stay whole (fences,
 * tables) are repeated whole or not at all. Sizes are estimated by adding piece counts; each
 * chunk is then measured once exactly, and shrunk in the rare case the estimate was low.
 * A single piece above the budget (a code fence up to the hard cap) becomes a chunk alone.
 */
export function packPieces(pieces: readonly Piece[], options: PackOptions): PackedChunk[] {
  const { budget, overlapTokens, measure } = options;
  const fixed = options.fixedTokens ?? 0;
  const chunks: PackedChunk[] = [];
  let carry: Piece[] = [];
  let start = 0;

  while (start < pieces.length) {
    let used = fixed + sumTokens(carry);
    // cumulative[n] = estimated chunk size when it ends after pieces[start + n]
    const cumulative: number[] = [];
    let end = start;
    while (end < pieces.length) {
      const piece = pieces[end]!;
      const added = piece.tokens + (end > start || carry.length > 0 ? separatorTokens(piece.separator) : 0);
      if (end > start && used + added > budget) break;
      used += added;
      cumulative.push(used);
      end++;
      if (used > budget) break;
    }

    let cut = end;
    if (end < pieces.length) {
      const enough = fixed + (budget - fixed) * MIN_FILL;
      let strongest = -1;
      for (let candidate = start + 1; candidate <= end; candidate++) {
        if (cumulative[candidate - start - 1]! < enough) continue;
        const strength = pieces[candidate]!.breakBefore;
        if (strength >= strongest) {
          strongest = strength;
          cut = candidate;
        }
      }
    }

    let group = [...carry, ...pieces.slice(start, cut)];
    let tokens = measure(group);
    while (tokens > budget && (cut - start > 1 || carry.length > 0)) {
      // The estimate was low (tokens merge differently across joins): give up the overlap first, then the last piece.
      if (carry.length > 0) carry = [];
      else cut--;
      group = [...carry, ...pieces.slice(start, cut)];
      tokens = measure(group);
    }
    chunks.push({ pieces: group, tokens });

    const next = pieces[cut];
    if (next && overlapTokens > 0) {
      const own = pieces.slice(start, cut);
      const room = Math.min(
        overlapTokens,
        Math.floor(sumTokens(own) / 2),
        budget - fixed - next.tokens - separatorTokens(next.separator),
      );
      carry = room > 0 ? tail(own, room, options.overlapFinest ?? "word") : [];
      if (carry.length > 0) carry[0] = { ...carry[0]!, separator: "" };
    } else {
      carry = [];
    }
    start = cut;
  }
  return chunks;
}

/**
 * The longest run of text at the end of `pieces` within `room` tokens, splitting the edge piece finer when it allows.
 */
function tail(pieces: readonly Piece[], room: number, finest: Exclude<SplitLevel, "character">): Piece[] {
  const taken: Piece[] = [];
  let left = room;
  for (let index = pieces.length - 1; index >= 0; index--) {
    const piece = pieces[index]!;
    const cost = piece.tokens + (taken.length > 0 ? separatorTokens(taken[0]!.separator) : 0);
    if (cost <= left) {
      taken.unshift(piece);
      left -= cost;
      continue;
    }
    if (piece.finer.length > 0) {
      const parts = refinePiece(piece, finest);
      if (parts.length > 1)
        taken.unshift(...tail(parts, left - (taken.length > 0 ? separatorTokens(taken[0]!.separator) : 0), finest));
    }
    break;
  }
  return taken;
}

function sumTokens(pieces: readonly Piece[]): number {
  let total = 0;
  for (const [index, piece] of pieces.entries())
    total += piece.tokens + (index > 0 ? separatorTokens(piece.separator) : 0);
  return total;
}

/** A space before a word merges into the word's token; a line break usually costs one. */
function separatorTokens(separator: string): number {
  return separator === "" || /^[ \t]+$/.test(separator) ? 0 : 1;
}
