import path from "node:path";
import { ConfigError } from "../errors.js";
import { displayPath, formatCitation } from "../retrieval/citation.js";
import type { Store } from "../store/open-store.js";
import type { PinnedText } from "./prompt.js";
import type { PinnedDocument } from "./types.js";

/** A pinned document with the text of its chunks. */
export interface ResolvedPin {
  document: PinnedDocument;
  text: PinnedText;
}

/** Per chunk: the `<part citation="…">` wrapper around it, roughly. */
const partOverheadTokens = 12;

/**
 * Resolves `--pin` paths (relative to `cwd`, or absolute) to indexed documents and their chunks
 * in order, labelled `P1`, `P2`… in the order given (a path given twice counts once). A path
 * with no chunks in the index is a ConfigError that says to index it.
 */
export async function resolvePins(pins: string[], context: { store: Store; cwd: string }): Promise<ResolvedPin[]> {
  const resolved: ResolvedPin[] = [];
  const seen = new Set<string>();
  for (const pin of pins) {
    const absolute = path.resolve(context.cwd, pin);
    if (seen.has(absolute)) continue;
    seen.add(absolute);
    const chunks = await context.store.chunksOf(absolute);
    if (chunks.length === 0) {
      throw new ConfigError(
        `Cannot pin ${pin}: it is not in the index (looked for ${absolute}). Index it first, or check the path.`,
      );
    }
    const shown = displayPath(absolute, context.cwd);
    const label = `P${resolved.length + 1}`;
    const tokens = chunks.reduce((sum, chunk) => sum + chunk.tokens + partOverheadTokens, 0);
    resolved.push({
      document: { label, path: absolute, displayPath: shown, chunks: chunks.length, tokens },
      text: {
        label,
        displayPath: shown,
        parts: chunks.map((chunk) => ({ citation: formatCitation(shown, chunk), text: chunk.text })),
      },
    });
  }
  return resolved;
}
