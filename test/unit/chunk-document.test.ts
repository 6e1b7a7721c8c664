import { readFile } from "node:fs/promises";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { chunkDocument } from "../../src/chunking/chunk-document.js";
import { countTokens } from "../../src/chunking/tokens.js";
import { ConfigError } from "../../src/errors.js";
import { loadDocument } from "../../src/loaders/load-document.js";
import type { LoadedDocument } from "../../src/loaders/types.js";
import { expectQuotesLines, expectWellFormed } from "./chunk-assertions.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");

let tree: TempTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

async function loadFile(filePath: string): Promise<{ document: LoadedDocument; lines: string[] }> {
  const document = await loadDocument({
    path: filePath,
    source: path.dirname(filePath),
    relativePath: path.basename(filePath),
    size: 0,
    mtimeMs: 0,
  });
  return { document, lines: (await readFile(filePath, "utf8")).split("\n") };
}

async function loadText(name: string, text: string) {
  tree ??= await makeTempTree();
  return loadFile(await tree.write(name, text));
}

/** Paragraphs of ~40 tokens about numbered topics, separated by blank lines. */
const paragraphs = (count: number) =>
  Array.from(
    { length: count },
    (_, index) =>
      `Survey ${index} covered the jetty at dawn. The gauge drifted by ${index} millimetres.\nWe logged wind, ` +
      `water temperature and tide, then packed up before the rain.`,
  ).join("\n\n");

describe("chunkDocument: text", () => {
  it("cuts at paragraph ends when paragraphs fit, citing the right lines", async () => {
    const { document, lines } = await loadText("survey.txt", paragraphs(30));
    const chunks = chunkDocument(document, { maxTokens: 120, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    expectWellFormed(chunks, 120);
    for (const chunk of chunks) {
      expectQuotesLines(chunk.text, lines, chunk.lineStart!, chunk.lineEnd!);
      expect(chunk.text.startsWith("Survey ")).toBe(true);
      expect(lines[chunk.lineEnd!] ?? "").toBe("");
    }
  });

  it("repeats the end of each chunk at the start of the next", async () => {
    const { document, lines } = await loadText("survey.txt", paragraphs(30));
    const chunks = chunkDocument(document, { maxTokens: 120, overlapTokens: 30 });
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1]!;
      const current = chunks[index]!;
      expect(previous.text).toContain(current.text.slice(0, 40));
      expect(current.lineStart).toBeLessThanOrEqual(previous.lineEnd!);
      expectQuotesLines(current.text, lines, current.lineStart!, current.lineEnd!);
    }
  });

  it("splits one huge paragraph by lines, then sentences, then words", async () => {
    const sentence = "The tide gauge recorded another reading while the gulls argued overhead. ";
    const { document } = await loadText("wall.txt", `${sentence.repeat(200)}\n`);
    const chunks = chunkDocument(document, { maxTokens: 64, overlapTokens: 0 });
    expectWellFormed(chunks, 64);
    // Sentence ends are preferred cuts: every chunk but the last ends a sentence.
    for (const chunk of chunks) expect(chunk.text.endsWith(".")).toBe(true);
    expect(chunks.map((chunk) => chunk.text).join(" ")).toBe(sentence.repeat(200).trim());
  });

  it("cuts a run of text with no spaces by characters", async () => {
    const blob = Buffer.from(Array.from({ length: 12_000 }, (_, index) => (index * 7919) % 256)).toString("base64");
    // The loader records such a file without text (data, not prose); the chunker still copes with one.
    const { document: loaded } = await loadText("blob.txt", "placeholder");
    const document = { ...loaded, sections: [{ text: blob, startLine: 1 }] };
    const chunks = chunkDocument(document, { maxTokens: 100, overlapTokens: 0 });
    expectWellFormed(chunks, 100);
    expect(chunks.map((chunk) => chunk.text).join("")).toBe(blob);
  });

  it("fits a whole small file in one chunk with lines 1…n", async () => {
    const { document } = await loadFile(path.join(fixtures, "corpus/notes.txt"));
    const chunks = chunkDocument(document);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ ordinal: 0, lineStart: 1, lineEnd: 9, headings: [] });
  });

  it("makes no chunks for an empty document", async () => {
    const { document } = await loadText("empty.txt", "");
    expect(chunkDocument(document)).toEqual([]);
  });
});

describe("chunkDocument: code", () => {
  /** A Python module of small functions, ~70 tokens each. */
  const pythonModule = Array.from(
    { length: 12 },
    (_, index) =>
      `def reading_${index}(samples):\n    """Average reading ${index}."""\n    total = sum(sample.value for ` +
      `sample in samples)\n    return total / max(len(samples), ${index + 1})\n`,
  ).join("\n\n");

  it("cuts between top-level declarations", async () => {
    const { document, lines } = await loadText("readings.py", pythonModule);
    expect(document.language).toBe("python");
    const chunks = chunkDocument(document, { maxTokens: 200, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(2);
    expectWellFormed(chunks, 200);
    for (const chunk of chunks) {
      expect(chunk.headings).toEqual([]);
      expect(chunk.text.startsWith("def reading_")).toBe(true);
      expectQuotesLines(chunk.text, lines, chunk.lineStart!, chunk.lineEnd!);
    }
  });

  it("overlaps by whole lines", async () => {
    const { document, lines } = await loadText("readings.py", pythonModule);
    const chunks = chunkDocument(document, { maxTokens: 200, overlapTokens: 40 });
    for (const chunk of chunks.slice(1)) {
      expect(chunk.lineStart).toBeLessThan(chunks[chunk.ordinal - 1]!.lineEnd! + 1);
      expect(chunk.text.split("\n")[0]).toBe(lines[chunk.lineStart! - 1]);
    }
  });

  it("chunks the TypeScript fixture within budget with correct line ranges", async () => {
    const { document, lines } = await loadFile(path.join(fixtures, "corpus/src/tide-table.ts"));
    const chunks = chunkDocument(document, { maxTokens: 100, overlapTokens: 20 });
    expectWellFormed(chunks, 100);
    for (const chunk of chunks) expectQuotesLines(chunk.text, lines, chunk.lineStart!, chunk.lineEnd!);
  });
});

describe("chunkDocument: PDF", () => {
  it("gives every chunk the page it comes from", async () => {
    const { document } = await loadFile(path.join(fixtures, "pdf/handbook.pdf"));
    const chunks = chunkDocument(document);
    expect(chunks.map((chunk) => chunk.page)).toEqual([1, 2, 3, 4]);
    expect(chunks[2]!.text).toContain("Tide pools");
    expect(chunks.every((chunk) => chunk.lineStart === undefined && chunk.lineEnd === undefined)).toBe(true);
  });

  it("never lets a chunk or its overlap span two pages", async () => {
    const { document } = await loadFile(path.join(fixtures, "pdf/handbook.pdf"));
    const chunks = chunkDocument(document, { maxTokens: 40, overlapTokens: 10 });
    expect(chunks.length).toBeGreaterThan(4);
    expectWellFormed(chunks, 40);
    for (const chunk of chunks) {
      const page = document.sections.find((section) => section.page === chunk.page)!;
      expect(page.text).toContain(chunk.text);
    }
    expect(chunks.map((chunk) => chunk.page)).toEqual([...chunks.map((chunk) => chunk.page!)].sort());
  });
});

describe("chunkDocument: options", () => {
  it("rejects sizes that cannot work", async () => {
    const { document } = await loadFile(path.join(fixtures, "corpus/notes.txt"));
    expect(() => chunkDocument(document, { maxTokens: 8 })).toThrow(ConfigError);
    expect(() => chunkDocument(document, { maxTokens: 100, overlapTokens: 50 })).toThrow(/overlapTokens/);
    expect(() => chunkDocument(document, { maxTokens: 100, overlapTokens: -1 })).toThrow(ConfigError);
  });
});

describe("countTokens", () => {
  it("counts text, including special-token markers, as plain text", () => {
    expect(countTokens("")).toBe(0);
    expect(countTokens("hello")).toBe(1);
    expect(countTokens("before <|endoftext|> after")).toBeGreaterThan(3);
  });
});
