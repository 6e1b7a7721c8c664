/** Common English words that say nothing about where the answer is. */
const stopWords = new Set(
  (
    "a an and are as at be by can do does for from has have how i in is it its of on or that the this to was what " +
    "when where which who why will with you your"
  ).split(" "),
);

function termsOf(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((word) => word.length > 2 && !stopWords.has(word)))];
}

/** Crude stemming by shared prefix: "crashed" matches "crash", "corrupting" matches "corrupted". */
function matches(word: string, term: string): boolean {
  const stem = Math.min(term.length, Math.max(4, term.length - 3));
  return word.startsWith(term.slice(0, stem));
}

/**
 * The part of a passage that best matches the query, at most `maxChars` long: whole sentences
 * with the most distinct query terms, marked with "…" where text was cut. Whitespace is
 * flattened. Used to show why a passage was retrieved.
 */
export function snippet(text: string, query: string, maxChars = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= maxChars) return flat;
  const sentences = flat.split(/(?<=[.!?:;])\s+|\s(?=[-*#|] )/);
  const terms = termsOf(query);
  const scores = sentences.map((sentence) => {
    const words = sentence.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    return terms.map((term) => words.some((word) => matches(word, term)));
  });
  let best = { start: 0, end: 0, score: -1 };
  for (let start = 0; start < sentences.length; start++) {
    let length = 0;
    const found = new Set<number>();
    for (let end = start; end < sentences.length; end++) {
      length += sentences[end]!.length + 1;
      if (length > maxChars && end > start) break;
      scores[end]!.forEach((hit, term) => {
        if (hit) found.add(term);
      });
      if (found.size > best.score || (found.size === best.score && start === best.start))
        best = { start, end, score: found.size };
    }
  }
  let excerpt = sentences.slice(best.start, best.end + 1).join(" ");
  if (excerpt.length > maxChars) excerpt = `${excerpt.slice(0, maxChars - 1)}…`;
  else if (best.end < sentences.length - 1) excerpt = `${excerpt} …`;
  return best.start > 0 ? `… ${excerpt}` : excerpt;
}
