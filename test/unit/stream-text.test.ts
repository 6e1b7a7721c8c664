import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chunkDocument, chunkSections } from "../../src/chunking/chunk-document.js";
import type { DocumentSection, LoadedDocument } from "../../src/loaders/types.js";
import { hashBytes } from "../../src/sources/fingerprint.js";
import { failure, load, useTempFiles } from "./load-helpers.js";

const { temp } = useTempFiles();

/** Paragraphs of words under 40 characters, with CRLF line ends when asked (~`count` × 330 bytes). */
function prose(count: number, lineEnd = "\n"): string {
  return Array.from(
    { length: count },
    (_, i) => `Paragraph ${i} of the harbour log.${lineEnd}${"tide gauge level reads ".repeat(14)}${lineEnd}`,
  ).join(lineEnd);
}

async function sections(document: LoadedDocument): Promise<DocumentSection[]> {
  const all: DocumentSection[] = [];
  for await (const section of document.stream!()) all.push(section);
  return all;
}

async function chunksOf(document: LoadedDocument) {
  const all = [];
  for await (const chunk of chunkSections(document, document.stream!(), { maxTokens: 128, overlapTokens: 16 }))
    all.push(chunk);
  return all;
}

describe("loadDocument with streamTextAbove", () => {
  it(`streams a large text file: the same sections and chunks as a whole load, CRLF across reads made \\n, \
the file's hash`, async () => {
    // CRLF line ends, one \r\n pair split by the first read of 1 MiB.
    const text = `${"word ".repeat((1024 * 1024) / 5 - 0.2)}\r\n${prose(4000, "\r\n")}`;
    expect(text.indexOf("\r\n")).toBe(1024 * 1024 - 1);
    const file = await temp("big.log", text);
    const whole = await load(file);
    const streamed = await load(file, { streamTextAbove: 1024 * 1024 });
    expect(whole.stream).toBeUndefined();
    expect(streamed.sections).toEqual([]);
    expect(streamed.hash).toBe(hashBytes(Buffer.from(text)));
    const windows = await sections(streamed);
    expect(windows.length).toBeGreaterThan(4);
    expect(windows).toEqual(whole.sections);
    expect(windows.some((section) => section.text.includes("\r"))).toBe(false);
    expect(await chunksOf(streamed)).toEqual(chunkDocument(whole, { maxTokens: 128, overlapTokens: 16 }));
  });

  it(`streams UTF-16 with a BOM and code (with its language), and leaves files at or below the size \
whole`, async () => {
    const text = prose(6000);
    const utf16 = await temp("notes.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    const streamed = await load(utf16, { streamTextAbove: 1024 * 1024 });
    expect(await sections(streamed)).toEqual((await load(utf16)).sections);
    const code = await temp("big.py", `def tide():\n    return 1\n\n${prose(4000)}`);
    const streamedCode = await load(code, { streamTextAbove: 1024 * 1024 });
    expect(streamedCode).toMatchObject({ kind: "code", language: "python", sections: [] });
    expect(await sections(streamedCode)).toEqual((await load(code)).sections);
    const small = await load(code, { streamTextAbove: 10 * 1024 * 1024 });
    expect(small.stream).toBeUndefined();
  });

  it("streams Markdown without its front matter, with its title, its line numbers and its linked images", async () => {
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    await temp("chart.png", png);
    const text = `---\ntitle: Front\n---\n# Harbour log\n\n![tide chart](chart.png)\n\n${prose(4000)}`;
    const file = await temp("log.md", text);
    const whole = await load(file);
    const streamed = await load(file, { streamTextAbove: 1024 * 1024 });
    expect(streamed).toMatchObject({ kind: "markdown", title: "Harbour log", sections: [] });
    expect(streamed.images).toEqual(whole.images);
    expect(streamed.images).toHaveLength(1);
    expect(await sections(streamed)).toEqual(whole.sections);
  });

  it(`loads whole what is not strict UTF-8 (decoded with its warning); refuses NUL; records data \
without text`, async () => {
    const latin = Buffer.concat([Buffer.from(prose(4000)), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]);
    const legacy = await load(await temp("legacy.txt", latin), { streamTextAbove: 1024 * 1024 });
    expect(legacy.stream).toBeUndefined();
    expect(legacy.sections.at(-1)!.text).toMatch(/café\n$/);
    expect(legacy.warnings?.[0]?.message).toMatch(/^not valid UTF-8; decoded as /);

    const nul = await temp("nul.txt", `${prose(4000)}\u0000tail`);
    expect(await failure(nul, { streamTextAbove: 1024 * 1024 })).toMatch(/^binary file \(NUL character at position/);

    const base64 = randomBytes(1_500_000).toString("base64").replace(/.{76}/g, "$&\n");
    const data = await load(await temp("dump.txt", base64), { streamTextAbove: 1024 * 1024 });
    expect(data.stream).toBeUndefined();
    expect(data.sections).toEqual([]);
    expect(data.warnings?.[0]?.message).toMatch(/^looks like encoded data/);
  });

  it("applies maxBytes to streamed files too", async () => {
    const file = await temp("big.txt", prose(4000));
    expect(await failure(file, { streamTextAbove: 1024, maxBytes: 1024 * 1024 })).toMatch(
      /^larger than the 1 MiB limit/,
    );
  });
});
