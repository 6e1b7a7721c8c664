import { joinPieces } from "./join-pieces.js";
import { packPieces } from "./pack-pieces.js";
import type { ChunkDraft } from "./resolve-chunk-options.js";
import { splitText } from "./split-text.js";
import { countTokens } from "./tokens.js";

/**
 * The last guard of the input limit: a chunk above `cap` tokens is cut again, between lines,
 * then words, then characters, keeping its heading path line on every part. Chunkers already
 * size whole pieces below the cap; this catches what token merging at the joins adds, so no
 * chunk ever exceeds the embedding model's input limit.
 */
export function capDraft(draft: ChunkDraft, cap: number): ChunkDraft[] {
  if (draft.tokens <= cap) return [draft];
  const gap = draft.headings.length > 0 ? draft.text.indexOf("\n\n") : -1;
  const prefix = gap >= 0 ? draft.text.slice(0, gap + 2) : "";
  const prefixTokens = countTokens(prefix);
  const content = draft.text.slice(prefix.length);
  // One token of slack per piece for merges at the join with the prefix.
  const pieces = splitText(content, {
    lineStart: draft.lineStart ?? 1,
    levels: ["line", "word", "character"],
    budget: Math.max(1, cap - prefixTokens - 1),
  });
  const packed = packPieces(pieces, {
    budget: cap,
    overlapTokens: 0,
    fixedTokens: prefixTokens,
    measure: (group) => countTokens(prefix + joinPieces(group)),
  });
  return packed.map(({ pieces: group, tokens }) => {
    const { lineStart, lineEnd, ...rest } = draft;
    const lines =
      lineStart === undefined || lineEnd === undefined
        ? {}
        : { lineStart: group[0]!.lineStart, lineEnd: group[group.length - 1]!.lineEnd };
    return { ...rest, text: prefix + joinPieces(group), tokens, ...lines };
  });
}
