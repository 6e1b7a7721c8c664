import type { Hit } from "../retrieval/types.js";
import type { Citation, PinnedDocument } from "./types.js";

/**
 * The sources an answer cites: `[2]`, `[1][3]`, `[1, 2]` and `[P1]` markers, each once, in order
 * of first use. Numbers that match no source (a model inventing `[9]`) are left out.
 */
export function extractCitations(text: string, hits: Hit[], pinned: PinnedDocument[] = []): Citation[] {
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const group of text.matchAll(/\[((?:P?\d+)(?:\s*,\s*P?\d+)*)\]/g)) {
    for (const marker of group[1]!.split(",").map((part) => part.trim())) {
      if (seen.has(marker)) continue;
      seen.add(marker);
      if (marker.startsWith("P")) {
        const document = pinned.find((candidate) => candidate.label === marker);
        if (document) citations.push({ n: marker, citation: document.displayPath, path: document.displayPath });
        continue;
      }
      const hit = hits.find((candidate) => candidate.rank === Number(marker));
      if (!hit) continue;
      citations.push({
        n: hit.rank,
        citation: hit.citation,
        path: hit.displayPath,
        ...(hit.page !== undefined ? { page: hit.page } : {}),
        ...(hit.lineStart !== undefined ? { lines: { start: hit.lineStart, end: hit.lineEnd ?? hit.lineStart } } : {}),
        ...(hit.location !== undefined ? { location: hit.location } : {}),
      });
    }
  }
  return citations;
}
