/**
 * Regenerates data/sample/papers/vector-search-primer.pdf (committed; CC0, written for gemindex).
 * Run: npx tsx data/make-sample-pdf.ts
 */
import { writeFile } from "node:fs/promises";
import { PDFDocument, StandardFonts } from "pdf-lib";

const pages: Array<{ title: string; lines: string[] }> = [
  {
    title: "1. Embeddings",
    lines: [
      "An embedding model maps a passage of text to a vector of floating point numbers.",
      "Passages with similar meaning land close together, so similarity search finds",
      "relevant text even when it shares no words with the question.",
      "Gemini's gemini-embedding-001 returns up to 3072 dimensions; smaller outputs",
      "such as 768 must be normalised to unit length before cosine comparisons.",
    ],
  },
  {
    title: "2. Approximate nearest neighbour indexes",
    lines: [
      "Exact search compares the query with every vector and grows linearly with the corpus.",
      "IVF indexes cluster vectors into partitions and probe only the nearest partitions.",
      "Quantization (PQ, RQ) compresses vectors; a refine step re-ranks candidates with",
      "full vectors, which restores recall at a small cost in latency.",
    ],
  },
  {
    title: "3. Lexical search with BM25",
    lines: [
      "BM25 scores a passage by the query terms it contains, weighting rare terms higher",
      "and dampening long passages. It needs no model and no API key.",
      "Hybrid search fuses the BM25 ranking with the vector ranking by reciprocal rank,",
      "which is robust when one of the two rankings misses the relevant passage.",
    ],
  },
];

const pdf = await PDFDocument.create();
pdf.setTitle("A short primer on vector search");
const font = await pdf.embedFont(StandardFonts.Helvetica);
const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
for (const { title, lines } of pages) {
  const page = pdf.addPage([595, 842]);
  page.drawText(title, { x: 50, y: 780, size: 18, font: bold });
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 740 - i * 20, size: 11, font }));
}
const target = new URL("./sample/papers/vector-search-primer.pdf", import.meta.url);
await writeFile(target, await pdf.save({ useObjectStreams: false }));
