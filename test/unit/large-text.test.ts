import { randomBytes } from "node:crypto";
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/chunking/chunk-document.js";
import { countTokens } from "../../src/chunking/tokens.js";
import { longRunShare } from "../../src/loaders/text/data-like-text.js";
import { MAX_SECTION_CHARACTERS } from "../../src/loaders/text/load-text.js";
import { load, useTempFiles } from "./load-helpers.js";

const { temp } = useTempFiles();

describe("loadDocument: data-like text", () => {
  it("records a base64 file without text, with the reason, instead of tokenizing it", async () => {
    const base64 = randomBytes(750_000).toString("base64").replace(/.{76}/g, "$&\n");
    const document = await load(await temp("dump.txt", base64));
    expect(document.kind).toBe("text");
    expect(document.sections).toEqual([]);
    expect(document.warnings).toEqual([
      {
        kind: "incomplete",
        message:
          "looks like encoded data, not text (base64, minified code or data: 100% of it in runs of 40+ characters " +
          "without spaces); not indexed",
      },
    ]);
  });

  it("keeps prose and code, and a Markdown note with one long link", async () => {
    const prose = "The tide gauge at the north jetty reads the level every hour. ".repeat(2000);
    expect((await load(await temp("prose.txt", prose))).sections).toHaveLength(1);
    const note = `# Note\n\nSee https://example.org/${"a".repeat(300)} for the data.\n\n${prose}`;
    expect((await load(await temp("note.md", note))).warnings).toBeUndefined();
    expect(longRunShare('minified:{"a":1,"b":[1,2,3],"c":{"d":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeee"}}')).toBe(1);
    expect(longRunShare("function add(a, b) {\n  return a + b;\n}\n")).toBe(0);
  });
});

describe("loadDocument: a large text file", () => {
  it("comes in windows of at most 512 KiB cut at paragraph breaks, with the right line numbers", async () => {
    const paragraphs = Array.from({ length: 6000 }, (_, i) => `Paragraph ${i} of the log.\n${"word ".repeat(60)}\n`);
    const text = paragraphs.join("\n");
    const document = await load(await temp("big.log", text));
    expect(document.sections.length).toBeGreaterThan(3);
    expect(document.sections.map((section) => section.text).join("")).toBe(text);
    let line = 1;
    for (const section of document.sections) {
      expect(section.text.length).toBeLessThanOrEqual(MAX_SECTION_CHARACTERS);
      expect(section.startLine).toBe(line);
      expect(section.text.startsWith("Paragraph ")).toBe(true);
      line += section.text.split("\n").length - 1;
    }
    const chunks = chunkDocument(document, { maxTokens: 512, overlapTokens: 0 });
    const lines = text.split("\n");
    for (const chunk of chunks) expect(lines[chunk.lineStart! - 1]!.trim()).toBe(chunk.text.split("\n")[0]!.trim());
  });
});

describe("countTokens on runs without spaces", () => {
  it(`counts a run of 256+ characters by its bytes: never below the tokenizer's count, \
and without tokenizing it`, () => {
    const run = `data:image/png;base64,${randomBytes(30_000).toString("base64")}`;
    expect(countTokens(run)).toBe(Buffer.byteLength(run));
    expect(countTokens(run)).toBeGreaterThanOrEqual(countO200k(run));
    const text = `The chart below shows the tide.\n\n![chart](${run})\n\nIt peaks at noon.`;
    expect(countTokens(text)).toBeGreaterThanOrEqual(countO200k(text));
    expect(countTokens("A short sentence stays exact.")).toBe(countO200k("A short sentence stays exact."));
  });
});
