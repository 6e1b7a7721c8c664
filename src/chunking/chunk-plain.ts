import type { DocumentSection } from "../loaders/types.js";
import { joinPieces } from "./join-pieces.js";
import { joinedTokens } from "./join-tokens.js";
import { packPieces } from "./pack-pieces.js";
import type { SplitLevel } from "./piece.js";
import { placeDraft } from "./place-draft.js";
import type { ChunkDraft, ChunkSettings } from "./resolve-chunk-options.js";
import { splitText } from "./split-text.js";

/** Paragraphs, then lines, sentences, words: how prose is cut. */
export const TEXT_LEVELS: readonly SplitLevel[] = ["paragraph", "line", "sentence", "word", "character"];
/** Blank-line blocks (strongest before top-level declarations), then lines and words: how code is cut. */
export const CODE_LEVELS: readonly SplitLevel[] = ["block", "line", "word", "character"];

/**
 * Chunks sections without headings with the recursive splitter and overlap: plain text and
 * PDF pages with {@link TEXT_LEVELS}, source code with {@link CODE_LEVELS}. A chunk never spans
 * two sections, so a PDF chunk belongs to exactly one page; sections with a `page` give their
 * chunks that page and no line numbers (PDF lines are not file lines), and sections without a
 * `startLine` give none either.
 */
export function chunkPlain(
  sections: readonly DocumentSection[],
  levels: readonly SplitLevel[],
  settings: ChunkSettings,
): ChunkDraft[] {
  const drafts: ChunkDraft[] = [];
  for (const section of sections) {
    const pieces = splitText(section.text, { lineStart: section.startLine ?? 1, levels, budget: settings.maxTokens });
    const packed = packPieces(pieces, {
      budget: settings.maxTokens,
      overlapTokens: settings.overlapTokens,
      // Code overlap starts at a line start; a half line of code only misleads.
      overlapFinest: levels === CODE_LEVELS ? "line" : "word",
      measure: joinedTokens,
    });
    for (const { pieces: group, tokens } of packed) {
      const draft = {
        text: joinPieces(group),
        headings: [],
        tokens,
        lineStart: group[0]!.lineStart,
        lineEnd: group[group.length - 1]!.lineEnd,
      };
      drafts.push(placeDraft(draft, section));
    }
  }
  return drafts;
}
