import { countTokens } from "./tokens.js";

/**
 * The first line of a Markdown chunk: its heading path joined with " > ". A path that would
 * take more than a quarter of `maxTokens` loses its outermost headings (shown as "…"), and a
 * single heading that long is cut, so the content always keeps most of the chunk.
 */
export function headingLine(path: readonly string[], maxTokens: number): { text: string; tokens: number } {
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
