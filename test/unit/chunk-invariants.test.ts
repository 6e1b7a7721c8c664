import { describe, expect, it } from "vitest";

import { chunkDocument } from "../../src/chunking/chunk-document.js";
import type { ChunkOptions } from "../../src/chunking/types.js";
import type { DocumentKind, LoadedDocument } from "../../src/loaders/types.js";
import { expectWellFormed } from "./chunk-assertions.js";

/** Deterministic pseudo-random Markdown-ish documents: headings, setext headings, fences, tables, lists, paragraphs. */
function generateDocuments(count: number): string[] {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const words = [
    "tide",
    "gauge",
    "jetty",
    "harbour",
    "wind",
    "sensor",
    "float",
    "tube",
    "reading",
    "survey",
    "water",
    "metres",
    "spring",
    "neap",
  ];
  const sentence = () => {
    const picked = Array.from({ length: 4 + Math.floor(random() * 14) }, () => pick(words));
    return `${picked.join(" ")}${pick([".", ".", "!", "?"])}`.replace(/^./, (first) => first.toUpperCase());
  };
  return Array.from({ length: count }, () => {
    const lines: string[] = random() < 0.3 ? ["---", "title: generated", "---", ""] : [];
    for (let block = 0, blocks = 5 + Math.floor(random() * 30); block < blocks; block++) {
      const kind = random();
      if (kind < 0.2) lines.push(`${"#".repeat(1 + Math.floor(random() * 4))} ${sentence().slice(0, 30)}`, "");
      else if (kind < 0.25) lines.push(sentence().slice(0, 20), pick(["===", "---"]), "");
      else if (kind < 0.35)
        lines.push(
          "```js",
          ...Array.from({ length: 1 + Math.floor(random() * 40) }, (_, index) => `  let v${index} = "${sentence()}";`),
          "```",
          "",
        );
      else if (kind < 0.42)
        lines.push(
          "| a | b |",
          "|---|---|",
          ...Array.from({ length: 1 + Math.floor(random() * 30) }, () => `| ${sentence()} | ${pick(words)} |`),
          "",
        );
      else if (kind < 0.5)
        lines.push(...Array.from({ length: 1 + Math.floor(random() * 8) }, () => `- ${sentence()}`), "");
      else
        lines.push(
          ...Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
            Array.from({ length: 1 + Math.floor(random() * 3) }, sentence).join(" "),
          ),
          "",
        );
    }
    return lines.join("\n");
  });
}

const documentOf = (kind: DocumentKind, text: string): LoadedDocument => ({
  file: { path: "/generated", source: "/generated", relativePath: "", size: text.length, mtimeMs: 0 },
  kind,
  hash: "",
  sections: [{ text, startLine: 1 }],
});

const chunk = (kind: DocumentKind, text: string, options: ChunkOptions) =>
  chunkDocument(documentOf(kind, text), options);
const withoutWhitespace = (text: string) => text.replace(/\s+/g, "");

describe("chunkDocument invariants on generated documents", () => {
  const documents = generateDocuments(40);

  it("keeps every chunk non-blank, numbered, counted and within budget, with a valid line range", () => {
    for (const text of documents) {
      for (const kind of ["markdown", "text", "code"] as const) {
        for (const maxTokens of [32, 64, 128, 512]) {
          const chunks = chunk(kind, text, { maxTokens });
          // Only Markdown fences kept whole and table rows with their header may pass maxTokens.
          expectWellFormed(chunks, maxTokens, (item) => kind === "markdown" && /```|^\|/m.test(item.text));
          for (const item of chunks) {
            expect(item.lineStart).toBeGreaterThanOrEqual(1);
            expect(item.lineEnd).toBeGreaterThanOrEqual(item.lineStart!);
          }
        }
      }
    }
  });

  it("loses no text: without overlap, text and code chunks put together are the document", () => {
    for (const text of documents) {
      for (const kind of ["text", "code"] as const) {
        for (const maxTokens of [32, 128]) {
          const joined = chunk(kind, text, { maxTokens, overlapTokens: 0 })
            .map((item) => item.text)
            .join("");
          expect(withoutWhitespace(joined)).toBe(withoutWhitespace(text));
        }
      }
    }
  });

  it("loses no Markdown sentence", () => {
    for (const text of documents) {
      const chunks = chunk("markdown", text, { maxTokens: 128 });
      const body = text.startsWith("---\n") ? text.split("\n").slice(4) : text.split("\n");
      let inFence = false;
      for (const [index, line] of body.entries()) {
        if (line.startsWith("```")) inFence = !inFence;
        // Heading text is in the path of the sections below it (a heading with no text under it yields no chunk).
        const heading = /^(#|===$|---$)/.test(line) || /^(===|---)$/.test(body[index + 1] ?? "");
        if (line.startsWith("```") || (!inFence && heading)) continue;
        for (const sentence of line.split(/(?<=[.!?])\s+/).filter((part) => part.trim() !== "")) {
          expect(
            chunks.some((item) => item.text.includes(sentence.trim())),
            sentence,
          ).toBe(true);
        }
      }
    }
  });
});
