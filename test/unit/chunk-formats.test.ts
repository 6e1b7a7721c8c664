import path from "node:path";

import { describe, expect, it } from "vitest";

import { chunkDocument } from "../../src/chunking/chunk-document.js";
import type { Chunk } from "../../src/chunking/types.js";
import { ConfigError } from "../../src/errors.js";
import { htmlToMarkdown } from "../../src/loaders/html/html-to-markdown.js";
import { loadDocument } from "../../src/loaders/load-document.js";
import type { DocumentKind, DocumentSection, LoadedDocument } from "../../src/loaders/types.js";
import { contentOf, expectWellFormed } from "./chunk-assertions.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");

const loadFixture = (relative: string) => {
  const filePath = path.join(fixtures, relative);
  return loadDocument({
    path: filePath,
    source: path.dirname(filePath),
    relativePath: path.basename(filePath),
    size: 0,
    mtimeMs: 0,
  });
};

const documentOf = (kind: DocumentKind, sections: DocumentSection[]): LoadedDocument => ({
  file: { path: "/generated", source: "/generated", relativePath: "", size: 0, mtimeMs: 0 },
  kind,
  hash: "",
  sections,
});

/** ~12 tokens a line of plausible TypeScript. */
const codeLines = (count: number) =>
  Array.from({ length: count }, (_, index) => `const value${index} = compute(${index}, "tide-${index}") + offset;`);

describe("chunkDocument: HTML and Word", () => {
  it("cites HTML chunks by heading path, with no line numbers", async () => {
    const chunks = chunkDocument(await loadFixture("html/station.html"), { maxTokens: 64, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(2);
    expectWellFormed(chunks, 64, (chunk) => chunk.text.includes("```"));
    for (const chunk of chunks) {
      expect(chunk.lineStart).toBeUndefined();
      expect(chunk.lineEnd).toBeUndefined();
      expect(chunk.headings[0]).toBe("North Jetty Tide Station");
    }
    const [code] = chunks.filter((chunk) => chunk.text.includes("def calibrate"));
    expect(code!.headings).toEqual(["North Jetty Tide Station", "Calibration"]);
    expect(contentOf(code!)).toContain(
      "```python\ndef calibrate(staff, sensor):\n    offset = staff - sensor\n\n    return round(offset, 3)\n```",
    );
  });

  it("splits an HTML table between rows and repeats its header row in every part", () => {
    const rows = Array.from(
      { length: 60 },
      (_, index) => `<tr><td>Jetty ${index}</td><td>${(index * 0.07).toFixed(2)}</td></tr>`,
    ).join("");
    const html =
      `<!DOCTYPE html><title>Levels</title><main><h1>Levels</h1><table><tr><th>Gauge</th><th>Level ` +
      `(m)</th></tr>${rows}</table></main>`;
    const document = documentOf("html", [{ text: htmlToMarkdown(html).markdown }]);
    const chunks = chunkDocument(document, { maxTokens: 96, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    const seen: string[] = [];
    for (const chunk of chunks) {
      const table = contentOf(chunk).split("\n");
      expect(table.slice(0, 2)).toEqual(["| Gauge | Level (m) |", "| --- | --- |"]);
      seen.push(...table.slice(2));
      expect(chunk.lineStart).toBeUndefined();
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, index) => `| Jetty ${index} | ${(index * 0.07).toFixed(2)} |`));
  });

  it("gives Word chunks the document's heading paths and no line numbers", async () => {
    const chunks = chunkDocument(await loadFixture("office/report.docx"), { maxTokens: 48, overlapTokens: 0 });
    const [calibration] = chunks.filter((chunk) => chunk.text.includes("Zero the pressure sensor"));
    expect(calibration!.headings).toEqual(["Harbour Survey Report", "Tide gauges", "Calibration"]);
    expect(chunks.every((chunk) => chunk.lineStart === undefined)).toBe(true);
  });
});

describe("chunkDocument: spreadsheets", () => {
  const rows = (count: number) =>
    Array.from(
      { length: count },
      (_, index) =>
        `Station: Gauge ${index} | Level (m): ${(index / 10).toFixed(1)} | Note: reading ${index} taken at dawn`,
    );

  it("packs whole rows, citing spreadsheet rows and the sheet, with no overlap", async () => {
    const lines = rows(40);
    const document = documentOf("xlsx", [{ text: lines.join("\n"), startLine: 2, location: "Readings" }]);
    const chunks = chunkDocument(document, { maxTokens: 100, overlapTokens: 40 });
    expect(chunks.length).toBeGreaterThan(4);
    expectWellFormed(chunks, 100);
    const seen: string[] = [];
    for (const chunk of chunks) {
      expect(chunk.location).toBe("Readings");
      expect(chunk.headings).toEqual([]);
      const chunkRows = chunk.text.split("\n");
      // Line n of the sheet text is row startLine + n - 1: rows 2…41 here.
      expect(chunkRows[0]).toBe(lines[chunk.lineStart! - 2]);
      expect(chunkRows[chunkRows.length - 1]).toBe(lines[chunk.lineEnd! - 2]);
      seen.push(...chunkRows);
    }
    // Every row exactly once, whole: no row split, nothing repeated.
    expect(seen).toEqual(lines);
  });

  it("keeps the loaded fixture's rows and sheets apart", async () => {
    const chunks = chunkDocument(await loadFixture("office/tide-log.xlsx"));
    expect(chunks.map((chunk) => [chunk.location, chunk.lineStart, chunk.lineEnd])).toEqual([
      ["Readings", 3, 6],
      ["Notes", 2, 3],
    ]);
    // An empty spreadsheet row (5) stays a blank line inside the chunk.
    expect(chunks[0]!.text.split("\n")[2]).toBe("");
  });

  it("lets one row pass maxTokens whole, and cuts only a row above maxInputTokens, between cells", () => {
    const wide = Array.from({ length: 30 }, (_, index) => `Column ${index}: value ${index} of a rather wide row`).join(
      " | ",
    );
    const huge = Array.from({ length: 400 }, (_, index) => `Field ${index}: measured ${index}`).join(" | ");
    const document = documentOf("xlsx", [
      { text: ["Small: 1", wide, huge, "Small: 2"].join("\n"), startLine: 10, location: "Wide" },
    ]);
    const chunks = chunkDocument(document, { maxTokens: 64, overlapTokens: 0, maxInputTokens: 1024 });
    const wideChunks = chunks.filter((chunk) => chunk.lineStart === 11);
    expect(wideChunks).toHaveLength(1);
    expect(wideChunks[0]!.text).toBe(wide);
    expect(wideChunks[0]!.tokens).toBeGreaterThan(64);
    const hugeParts = chunks.filter((chunk) => chunk.lineStart === 12);
    expect(hugeParts.length).toBeGreaterThan(1);
    for (const part of hugeParts) {
      expect(part.lineEnd).toBe(12);
      expect(part.tokens).toBeLessThanOrEqual(1024);
      expect(part.text.startsWith("Field ")).toBe(true);
    }
    expect(hugeParts.map((part) => part.text).join(" | ")).toBe(huge);
  });
});

describe("chunkDocument: maxInputTokens", () => {
  const fenced = (lines: number) => ["# Code", "", "```ts", ...codeLines(lines), "```", ""].join("\n");
  const allWithin = (chunks: readonly Chunk[], limit: number) => chunks.every((chunk) => chunk.tokens <= limit);

  it("defaults to 2048: a larger fence is cut, a smaller one stays whole", () => {
    const small = chunkDocument(documentOf("markdown", [{ text: fenced(100), startLine: 1 }]));
    expect(small).toHaveLength(1);
    expect(small[0]!.tokens).toBeGreaterThan(512);
    const large = chunkDocument(documentOf("markdown", [{ text: fenced(400), startLine: 1 }]));
    expect(large.length).toBeGreaterThan(1);
    expect(allWithin(large, 2048)).toBe(true);
  });

  it("keeps a fence whole up to a larger model limit (8192 for gemini-embedding-2)", () => {
    const chunks = chunkDocument(documentOf("markdown", [{ text: fenced(400), startLine: 1 }]), {
      maxTokens: 512,
      maxInputTokens: 8192,
    });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.tokens).toBeGreaterThan(2048);
    expect(chunks[0]!.tokens).toBeLessThanOrEqual(8192);
  });

  it("never lets a chunk of any kind pass a small limit", () => {
    const table = [
      "| a | b |",
      "|---|---|",
      ...Array.from({ length: 20 }, (_, index) => `| ${"word ".repeat(60)}${index} | x |`),
    ].join("\n");
    const markdown = [fenced(60), table, "A paragraph. ".repeat(100)].join("\n\n");
    for (const kind of ["markdown", "html", "text", "code"] as const) {
      const chunks = chunkDocument(documentOf(kind, [{ text: markdown, startLine: 1 }]), {
        maxTokens: 64,
        overlapTokens: 8,
        maxInputTokens: 128,
      });
      expect(allWithin(chunks, 128), kind).toBe(true);
      expectWellFormed(chunks, 128);
    }
  });

  it("rejects a maxTokens above the input limit", () => {
    const document = documentOf("text", [{ text: "text", startLine: 1 }]);
    expect(() => chunkDocument(document, { maxTokens: 4096 })).toThrow(ConfigError);
    expect(() => chunkDocument(document, { maxTokens: 4096 })).toThrow(/input limit/);
    expect(() => chunkDocument(document, { maxTokens: 4096, maxInputTokens: 8192 })).not.toThrow();
  });
});

describe("chunkDocument: code boundaries", () => {
  const samples: Record<string, string> = {
    python: [
      "import math",
      "",
      "",
      "class Gauge:",
      '    """A tide gauge."""',
      "",
      "    def __init__(self, name):",
      "        self.name = name",
      "        self.readings = []",
      "",
      "    @property",
      "    def latest(self):",
      "        if not self.readings:",
      "            return None",
      "",
      "        return self.readings[-1]",
      "",
      "    def record(self, value):",
      "        self.readings.append(value)",
      "",
      "        return len(self.readings)",
      "",
      "    def mean(self):",
      "        total = sum(self.readings)",
      "",
      "        return total / max(len(self.readings), 1)",
      "",
      "",
      "def main():",
      '    gauge = Gauge("jetty")',
      "    gauge.record(1.2)",
      "",
      "    print(gauge.mean())",
    ].join("\n"),
    typescript: [
      'import { readFile } from "node:fs/promises";',
      "",
      "export class Gauge {",
      "  private readings: number[] = [];",
      "",
      "  constructor(readonly name: string) {}",
      "",
      "  /** The most recent reading. */",
      "  get latest(): number | undefined {",
      "    const last = this.readings.length - 1;",
      "",
      "    return this.readings[last];",
      "  }",
      "",
      "  record(value: number): number {",
      "    this.readings.push(value);",
      "",
      "    return this.readings.length;",
      "  }",
      "",
      "  async load(path: string): Promise<void> {",
      '    const text = await readFile(path, "utf8");',
      "",
      '    for (const line of text.split("\\n")) this.record(Number(line));',
      "  }",
      "}",
      "",
      "export function mean(values: number[]): number {",
      "  const total = values.reduce((a, b) => a + b, 0);",
      "",
      "  return total / Math.max(values.length, 1);",
      "}",
    ].join("\n"),
    go: [
      "package tide",
      "",
      "type Gauge struct {",
      "\tName     string",
      "\tReadings []float64",
      "}",
      "",
      "func NewGauge(name string) *Gauge {",
      "\tgauge := &Gauge{Name: name}",
      "",
      "\treturn gauge",
      "}",
      "",
      "func (g *Gauge) Record(value float64) int {",
      "\tg.Readings = append(g.Readings, value)",
      "",
      "\treturn len(g.Readings)",
      "}",
      "",
      "func (g *Gauge) Mean() float64 {",
      "\ttotal := 0.0",
      "\tfor _, v := range g.Readings {",
      "\t\ttotal += v",
      "\t}",
      "",
      "\treturn total / float64(len(g.Readings))",
      "}",
    ].join("\n"),
    rust: [
      "pub struct Gauge {",
      "    name: String,",
      "    readings: Vec<f64>,",
      "}",
      "",
      "impl Gauge {",
      "    pub fn new(name: &str) -> Self {",
      "        let readings = Vec::new();",
      "",
      "        Gauge { name: name.to_string(), readings }",
      "    }",
      "",
      "    /// Records a reading.",
      "    pub fn record(&mut self, value: f64) -> usize {",
      "        self.readings.push(value);",
      "",
      "        self.readings.len()",
      "    }",
      "",
      "    pub fn mean(&self) -> f64 {",
      "        let total: f64 = self.readings.iter().sum();",
      "",
      "        total / self.readings.len().max(1) as f64",
      "    }",
      "}",
    ].join("\n"),
    java: [
      "package tide;",
      "",
      "import java.util.ArrayList;",
      "import java.util.List;",
      "",
      "public class Gauge {",
      "    private final String name;",
      "    private final List<Double> readings = new ArrayList<>();",
      "",
      "    public Gauge(String name) {",
      "        this.name = name;",
      "    }",
      "",
      "    /** Records a reading. */",
      "    public int record(double value) {",
      "        readings.add(value);",
      "",
      "        return readings.size();",
      "    }",
      "",
      "    @Override",
      "    public String toString() {",
      '        String label = "Gauge(" + name + ")";',
      "",
      "        return label;",
      "    }",
      "",
      "    double mean() {",
      "        double total = 0;",
      "        for (double v : readings) {",
      "            total += v;",
      "        }",
      "",
      "        return total / Math.max(readings.size(), 1);",
      "    }",
      "}",
    ].join("\n"),
  };

  for (const [language, source] of Object.entries(samples)) {
    it(`cuts ${language} only before declarations and members, never at a blank line inside a function`, () => {
      const lines = source.split("\n");
      const document: LoadedDocument = { ...documentOf("code", [{ text: source, startLine: 1 }]), language };
      // Small enough to need several chunks, large enough for every function to fit one.
      const chunks = chunkDocument(document, { maxTokens: 64, overlapTokens: 0 });
      expect(chunks.length).toBeGreaterThan(2);
      for (const chunk of chunks.slice(1)) {
        const first = lines[chunk.lineStart! - 1]!;
        expect(lines[chunk.lineStart! - 2], `${language}: chunk starting at "${first}"`).toBe("");
        // A cut lands at top level, or one level in (a member of a class or impl block).
        expect(/^(?:\S| {1,4}\S|\t\S)/.test(first), `${language}: chunk starting at "${first}"`).toBe(true);
        expect(
          /^\s*(?:return|self\.|this\.|total|let |const |g\.|readings|\}|print)/.test(first),
          `${language}: chunk starting at "${first}"`,
        ).toBe(false);
      }
    });
  }
});
