import { expect } from "vitest";
import { countTokens } from "../../src/chunking/tokens.js";
import type { Chunk } from "../../src/chunking/types.js";

/** A chunk's text without its heading path line. */
export function contentOf(chunk: Chunk): string {
  return chunk.headings.length > 0 ? chunk.text.slice(chunk.text.indexOf("\n\n") + 2) : chunk.text;
}

/**
 * Checks that `content` is what the file holds on lines `lineStart`…`lineEnd`: every middle
 * line verbatim, the first line a suffix (overlap may start mid-line) and the last a prefix of
 * the file's line. Trailing whitespace is ignored.
 */
export function expectQuotesLines(
  content: string,
  fileLines: readonly string[],
  lineStart: number,
  lineEnd: number,
): void {
  const quoted = content.split("\n").map((line) => line.trimEnd());
  const source = fileLines.slice(lineStart - 1, lineEnd).map((line) => line.trimEnd());
  expect(quoted.length, `lines ${lineStart}-${lineEnd} of:\n${content}`).toBe(source.length);
  quoted.forEach((line, index) => {
    const fileLine = source[index]!;
    if (quoted.length === 1) expect(fileLine).toContain(line);
    else if (index === 0)
      expect(fileLine.endsWith(line), `first line ${lineStart}: ${JSON.stringify(line)}`).toBe(true);
    else if (index === quoted.length - 1)
      expect(fileLine.startsWith(line), `last line ${lineEnd}: ${JSON.stringify(line)}`).toBe(true);
    else expect(line, `line ${lineStart + index}`).toBe(fileLine);
  });
}

/** Invariants every chunk list keeps, whatever the format; `allowOver` chunks may reach the 2048-token hard cap. */
export function expectWellFormed(
  chunks: readonly Chunk[],
  maxTokens: number,
  allowOver: (chunk: Chunk) => boolean = () => false,
): void {
  chunks.forEach((chunk, index) => {
    expect(chunk.ordinal).toBe(index);
    expect(chunk.text.trim()).not.toBe("");
    expect(chunk.tokens).toBe(countTokens(chunk.text));
    const limit = allowOver(chunk) ? Math.max(maxTokens, 2048) : maxTokens;
    expect(chunk.tokens, `chunk ${index}:\n${chunk.text}`).toBeLessThanOrEqual(limit);
  });
}
