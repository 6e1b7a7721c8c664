import { readFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { chunkDocument } from "../../src/chunking/chunk-document.js";
import type { Chunk } from "../../src/chunking/types.js";
import { loadDocument } from "../../src/loaders/load-document.js";
import { contentOf, expectQuotesLines, expectWellFormed } from "./chunk-assertions.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");

let tree: TempTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

/** Loads Markdown from a real file, chunks it, and returns the chunks with the file's lines. */
async function chunkMarkdownFile(
  filePath: string,
  maxTokens: number,
  overlapTokens = Math.min(64, Math.floor(maxTokens / 4)),
) {
  const document = await loadDocument({
    path: filePath,
    source: path.dirname(filePath),
    relativePath: path.basename(filePath),
    size: 0,
    mtimeMs: 0,
  });
  const lines = (await readFile(filePath, "utf8")).split("\n");
  return { chunks: chunkDocument(document, { maxTokens, overlapTokens }), lines };
}

async function chunkMarkdownText(markdown: string, maxTokens: number, overlapTokens?: number) {
  tree ??= await makeTempTree();
  return chunkMarkdownFile(
    await tree.write(`doc-${Math.random().toString(36).slice(2)}.md`, markdown),
    maxTokens,
    overlapTokens,
  );
}

const containing = (chunks: readonly Chunk[], needle: string) => chunks.filter((chunk) => chunk.text.includes(needle));

/** ~12 tokens a line of plausible TypeScript. */
const codeLines = (count: number, name = "value") =>
  Array.from({ length: count }, (_, index) => `const ${name}${index} = compute(${index}, "tide-${index}") + offset;`);

/** A paragraph of roughly `sentences` × 12 tokens. */
const prose = (topic: string, sentences: number) =>
  Array.from(
    { length: sentences },
    (_, index) => `The ${topic} note number ${index} records one more careful observation.`,
  ).join(" ");

describe("chunkDocument: Markdown", () => {
  it("points every chunk's line range at exactly the lines it quotes", async () => {
    // Budgets at which the fixture's table fits whole (split tables repeat their header: tested below).
    for (const maxTokens of [100, 200, 512]) {
      const { chunks, lines } = await chunkMarkdownFile(path.join(fixtures, "corpus/guide.md"), maxTokens);
      // A fence stays whole even when it is a little above maxTokens.
      expectWellFormed(chunks, maxTokens, (chunk) => /```|~~~/.test(chunk.text));
      for (const chunk of chunks) expectQuotesLines(contentOf(chunk), lines, chunk.lineStart!, chunk.lineEnd!);
    }
  });

  it(`keeps every chunk within maxTokens at any budget, except a whole fence or a table row with its \
header`, async () => {
    for (const fixture of ["corpus/guide.md", "corpus/reference.md"]) {
      for (const maxTokens of [32, 48, 64, 100, 512]) {
        const { chunks } = await chunkMarkdownFile(path.join(fixtures, fixture), maxTokens);
        expectWellFormed(
          chunks,
          maxTokens,
          (chunk) =>
            /```|~~~/.test(chunk.text) ||
            contentOf(chunk)
              .split("\n")
              .filter((line) => line.startsWith("|")).length === 3,
        );
        // Nothing is lost: every non-blank line of the body shows up in some chunk.
        const body = (await readFile(path.join(fixtures, fixture), "utf8"))
          .split("\n")
          .slice(fixture.endsWith("guide.md") ? 4 : 0);
        for (const line of body.filter((text) => text.trim() !== "" && !/^(#|=+$|-+$)/.test(text))) {
          expect(
            chunks.some((chunk) => chunk.text.includes(line.trim())),
            `${fixture} @${maxTokens}: ${line}`,
          ).toBe(true);
        }
      }
    }
  });

  it("starts each chunk with its heading path and lists the path in headings", async () => {
    const { chunks } = await chunkMarkdownFile(path.join(fixtures, "corpus/guide.md"), 100);
    const [troubleshooting] = containing(chunks, "blocked by weed");
    expect(troubleshooting!.headings).toEqual(["Tidewater Station Guide", "Troubleshooting"]);
    expect(troubleshooting!.text.startsWith("Tidewater Station Guide > Troubleshooting\n\nReadings that jump")).toBe(
      true,
    );
  });

  it("treats a # line inside a code fence as code, not as a heading", async () => {
    const { chunks } = await chunkMarkdownFile(path.join(fixtures, "corpus/guide.md"), 100);
    const [fence] = containing(chunks, "# not a heading");
    expect(fence!.headings).toEqual(["Tidewater Station Guide", "Installation", "Flashing the firmware"]);
    expect(fence!.text).toContain("```bash\n# not a heading: this line is inside a fence\ntidewater flash");
    expect(chunks.some((chunk) => chunk.headings.includes("not a heading: this line is inside a fence"))).toBe(false);
  });

  it("reads setext headings and builds paths across skipped levels", async () => {
    const markdown = [
      "Station manual",
      "==============",
      "",
      prose("intro", 6),
      "",
      "#### Deep detail",
      "",
      prose("deep", 6),
      "",
      "Wiring",
      "------",
      "",
      prose("wiring", 6),
      "",
    ].join("\n");
    const { chunks } = await chunkMarkdownText(markdown, 100);
    expect(containing(chunks, "deep note number 0")[0]!.headings).toEqual(["Station manual", "Deep detail"]);
    expect(containing(chunks, "wiring note number 0")[0]!.headings).toEqual(["Station manual", "Wiring"]);
    expect(containing(chunks, "wiring note number 0")[0]!.text.startsWith("Station manual > Wiring\n\n")).toBe(true);
  });

  it("keeps a code fence whole in one chunk even above maxTokens", async () => {
    const body = codeLines(30);
    const markdown = ["# Code", "", prose("before", 3), "", "```ts", ...body, "```", "", prose("after", 3), ""].join(
      "\n",
    );
    const { chunks, lines } = await chunkMarkdownText(markdown, 128);
    const holding = chunks.filter((chunk) => body.some((line) => chunk.text.includes(line)));
    expect(holding).toHaveLength(1);
    expect(holding[0]!.text).toContain(["```ts", ...body, "```"].join("\n"));
    expect(holding[0]!.tokens).toBeGreaterThan(128);
    expect(holding[0]!.tokens).toBeLessThanOrEqual(2048);
    expectWellFormed(chunks, 128, (chunk) => chunk === holding[0]);
    for (const chunk of chunks) expectQuotesLines(contentOf(chunk), lines, chunk.lineStart!, chunk.lineEnd!);
  });

  it(`splits a fence above the 2048-token hard cap between lines, \
re-fencing every part with its info string`, async () => {
    const body = codeLines(400, "sample");
    const markdown = ["# Generated table", "", "~~~~ts title=samples.ts", ...body, "~~~~", ""].join("\n");
    const { chunks, lines } = await chunkMarkdownText(markdown, 512);
    expect(chunks.length).toBeGreaterThan(1);
    const parts = chunks.map((chunk) => contentOf(chunk).split("\n"));
    for (const [index, part] of parts.entries()) {
      expect(part[0]).toBe("~~~~ts title=samples.ts");
      expect(part[part.length - 1]).toBe("~~~~");
      expect(chunks[index]!.tokens).toBeLessThanOrEqual(2048);
    }
    // Every line of code appears exactly once, in order, and each part cites its own lines.
    expect(parts.flatMap((part) => part.slice(1, -1))).toEqual(body);
    expect(chunks[0]!.lineStart).toBe(3);
    expect(chunks[chunks.length - 1]!.lineEnd).toBe(404);
    for (const [index, chunk] of chunks.entries()) {
      const first = index === 0 ? 1 : 0;
      const last = index === chunks.length - 1 ? 1 : 0;
      const code = parts[index]!.slice(1 - first, parts[index]!.length - 1 + last).join("\n");
      expectQuotesLines(code, lines, chunk.lineStart!, chunk.lineEnd!);
    }
  });

  it("splits a large table between rows, repeating the header row and delimiter in every part", async () => {
    const header = "| Station | Tide (m) | Water (°C) | Wind (m/s) |";
    const delimiter = "| --- | ---: | ---: | ---: |";
    const rows = Array.from(
      { length: 80 },
      (_, index) =>
        `| Jetty ${index} | ${(index * 0.07).toFixed(2)} | ${(11 + index / 10).toFixed(1)} | ${index % 17} |`,
    );
    const markdown = [
      "# Readings",
      "",
      "Hourly readings from every gauge:",
      "",
      header,
      delimiter,
      ...rows,
      "",
      "End of table.",
      "",
    ].join("\n");
    const { chunks, lines } = await chunkMarkdownText(markdown, 128, 16);
    const tableChunks = chunks.filter((chunk) => chunk.text.includes("| Jetty "));
    expect(tableChunks.length).toBeGreaterThan(3);
    const seenRows: string[] = [];
    for (const chunk of tableChunks) {
      const table = contentOf(chunk)
        .split("\n")
        .filter((line) => line.startsWith("|"));
      expect(table[0]).toBe(header);
      expect(table[1]).toBe(delimiter);
      // Never a partial row: every row line is a whole row of the file.
      for (const row of table.slice(2)) expect(rows).toContain(row);
      seenRows.push(...table.slice(2));
      // The line range covers the part's own rows in the file.
      for (const row of table.slice(2)) {
        const line = lines.indexOf(row) + 1;
        expect(line).toBeGreaterThanOrEqual(chunk.lineStart!);
        expect(line).toBeLessThanOrEqual(chunk.lineEnd!);
      }
    }
    expect(seenRows).toEqual(rows);
    expectWellFormed(chunks, 128);
  });

  it("merges small sections with their subsections and siblings, but never across a higher-level heading", async () => {
    const markdown = [
      "# Alpha",
      "",
      "Alpha overview.",
      "",
      "## Alpha setup",
      "",
      "Alpha setup steps.",
      "",
      "# Beta",
      "",
      "Beta overview.",
      "",
    ].join("\n");
    const { chunks } = await chunkMarkdownText(markdown, 512);
    expect(chunks.map((chunk) => chunk.headings)).toEqual([["Alpha"], ["Beta"]]);
    expect(chunks[0]!.text).toBe("Alpha\n\nAlpha overview.\n\n## Alpha setup\n\nAlpha setup steps.");
    expect(chunks[1]!.text).toBe("Beta\n\nBeta overview.");
  });

  it("gives merged siblings their shared parent path and keeps their own headings in the text", async () => {
    const markdown = [
      "# Commands",
      "",
      "## flash",
      "",
      "Writes firmware.",
      "",
      "## pair",
      "",
      "Pairs sensors.",
      "",
    ].join("\n");
    const { chunks } = await chunkMarkdownText(markdown, 512);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ headings: ["Commands"], lineStart: 3, lineEnd: 9 });
    expect(chunks[0]!.text).toBe("Commands\n\n## flash\n\nWrites firmware.\n\n## pair\n\nPairs sensors.");
  });

  it("never indexes front matter", async () => {
    const { chunks } = await chunkMarkdownFile(path.join(fixtures, "corpus/guide.md"), 512);
    expect(chunks.some((chunk) => chunk.text.includes("tags:"))).toBe(false);
  });

  it("overlaps the parts of a long section", async () => {
    const markdown = ["# Log", "", prose("harbour", 40), ""].join("\n");
    const { chunks } = await chunkMarkdownText(markdown, 100, 24);
    expect(chunks.length).toBeGreaterThan(3);
    for (let index = 1; index < chunks.length; index++) {
      const opening = contentOf(chunks[index]!).slice(0, 30);
      expect(contentOf(chunks[index - 1]!)).toContain(opening);
    }
  });

  it("makes no chunk from a document without text, but keeps a heading-only document findable", async () => {
    expect((await chunkMarkdownText("---\ntitle: x\n---\n\n", 512)).chunks).toEqual([]);
    expect((await chunkMarkdownText("# Only a heading\n", 512)).chunks.map((chunk) => chunk.text)).toEqual([
      "# Only a heading",
    ]);
  });
});
