import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/chunking/chunk-document.js";

const file = { path: "/notes/x.md", source: "/notes", relativePath: "x.md", size: 1, mtimeMs: 1 };
const chunksOf = (text: string) =>
  chunkDocument({ file, kind: "markdown", hash: "h", sections: [{ text, startLine: 1 }] });

describe("chunkDocument on Markdown made of headings only", () => {
  it("still indexes the heading text, so the document can be found", () => {
    expect(chunksOf("# Quarterly roadmap").map((chunk) => [chunk.text, chunk.lineStart, chunk.lineEnd])).toEqual([
      ["# Quarterly roadmap", 1, 1],
    ]);
    const nested = chunksOf("# Roadmap\n\n## Launch checklist\n");
    expect(nested).toHaveLength(1);
    expect(nested[0]!.text).toContain("Launch checklist");
  });

  it("gives an empty document no chunks", () => {
    expect(chunksOf("  \n\n")).toEqual([]);
  });
});
