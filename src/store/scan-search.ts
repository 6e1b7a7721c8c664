import type { ChunkMatch } from "./types.js";

/** Most chunks a scan without the full-text index ranks (the rest of the matches are not looked at). */
export const scanLimit = 5_000;

/** The lowercase words of a query worth looking for (letters and digits, two or more characters, at most 12). */
export function queryTerms(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  return [...new Set(words)].slice(0, 12);
}

/**
 * Ranks chunks found by a scan (no full-text index) with BM25 over the scanned matches: term
 * frequency saturates (k1 1.2) and is normalised by chunk length (b 0.75); rarer terms weigh
 * more. Counts are of substrings, so "index" also counts in "indexing": a fallback that finds
 * the right passages, not a replacement for the index.
 */
export function scanScore(matches: ChunkMatch[], terms: string[]): Array<{ match: ChunkMatch; score: number }> {
  const k1 = 1.2;
  const b = 0.75;
  const texts = matches.map((match) => match.text.toLowerCase());
  const averageLength = texts.reduce((sum, text) => sum + text.length, 0) / Math.max(1, texts.length);
  const frequencies = texts.map((text) => terms.map((term) => occurrences(text, term)));
  const idf = terms.map((_, t) => {
    const containing = frequencies.filter((counts) => counts[t]! > 0).length;
    return Math.log(1 + (texts.length - containing + 0.5) / (containing + 0.5));
  });
  return matches
    .map((match, i) => {
      const length = texts[i]!.length / Math.max(1, averageLength);
      const score = frequencies[i]!.reduce(
        (sum, tf, t) => sum + (idf[t]! * tf * (k1 + 1)) / (tf + k1 * (1 - b + b * length)),
        0,
      );
      return { match, score };
    })
    .sort((x, y) => y.score - x.score);
}

function occurrences(text: string, term: string): number {
  let count = 0;
  for (let at = text.indexOf(term); at !== -1; at = text.indexOf(term, at + term.length)) count++;
  return count;
}
