import { countTokens } from "./tokens.js";

/**
 * The first line of a Markdown chunk: its heading path joined with " > ". A path that would
 * take more than a quarter of `maxTokens` loses its outermost headings (shown as "…"), and a
 * single heading that long is cut, so the content always keeps most of the chunk.
 */
export function headingLine(path: readonly string[], maxTokens: number): { text: string; tokens: number } {
  // A document's chunks repeat the same few paths (each section's path is measured, then rendered).
  const key = `${maxTokens}\u0000${path.join("\u0000")}`;
  const known = recent.get(key);
  if (known) return known;
  if (recent.size >= RECENT_PATHS) recent.clear();
  const line = measuredHeadingLine(path, maxTokens);
  recent.set(key, line);
  return line;
}

/** Heading lines measured lately (cleared when full: a document's paths are reused, not a corpus's). */
const recent = new Map<string, { text: string; tokens: number }>();
const RECENT_PATHS = 256;

function measuredHeadingLine(path: readonly string[], maxTokens: number): { text: string; tokens: number } {
  const limit = Math.floor(maxTokens / 4);
  for (let from = 0; from < path.length; from++) {
    const text = (from > 0 ? "… > " : "") + path.slice(from).join(" > ");
    const tokens = countTokens(text);
    if (tokens <= limit) return { text, tokens };
  }
  const last = path[path.length - 1] ?? "";
  for (let length = limit * 2; ; length = Math.floor(length / 2)) {
    const text = `${last.slice(0, length)}…`;
    const tokens = countTokens(text);
    if (tokens <= limit || length <= 1) return { text, tokens };
  }
}
