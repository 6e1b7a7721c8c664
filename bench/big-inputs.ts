/**
 * Big single inputs (issue 9 items 13 and 14): peak RSS and wall time of `gemindex index` (the
 * built CLI, against the emulator) for one 48 MB text file, one 10 MB base64 file and one
 * workbook with a 100,000-row sheet.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeXlsx } from "../test/support/make-xlsx.js";
import { printTable, runGemindex, startEmulatorProcess } from "./support/harness.js";

const WORDS = (
  "the tide gauge reads level harbour moon water north quay station record daily measure float line winter salt " +
  "current"
).split(" ");

/** ~`bytes` of prose in paragraphs of 40–120 words (a seeded generator, so every run indexes the same text). */
function prose(bytes: number): string {
  // mulberry32: a small seeded generator with a long period (paragraphs must not repeat).
  let seed = 1;
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const paragraphs: string[] = [];
  let size = 0;
  while (size < bytes) {
    const words = Array.from({ length: 40 + Math.floor(next() * 80) }, () => WORDS[Math.floor(next() * WORDS.length)]);
    const paragraph = `${words.join(" ")}.`;
    paragraphs.push(paragraph);
    size += paragraph.length + 2;
  }
  return paragraphs.join("\n\n");
}

interface Input {
  label: string;
  name: string;
  make: () => Uint8Array | string;
}

const inputs: Input[] = [
  // Two sizes of one kind of file: streamed in windows and committed in parts, peak memory must not follow the size.
  { label: "12 MB text file (prose)", name: "medium.txt", make: () => prose(12 * 1024 * 1024) },
  { label: "48 MB text file (prose)", name: "big.txt", make: () => prose(48 * 1024 * 1024) },
  { label: "tiny text file (the floor)", name: "tiny.txt", make: () => prose(4 * 1024) },
  {
    label: "10 MB base64 file",
    name: "dump.txt",
    make: () => randomBytes(7_500_000).toString("base64").replace(/.{76}/g, "$&\n"),
  },
  { label: "xlsx, one sheet of 100,000 rows", name: "ledger.xlsx", make: () => makeXlsx(100_000) },
];

export async function bigInputs(): Promise<string[][]> {
  const rows: string[][] = [];
  const emulator = await startEmulatorProcess({});
  try {
    for (const input of inputs) {
      const dir = await mkdtemp(path.join(tmpdir(), "gemindex-bench-big-"));
      try {
        await mkdir(path.join(dir, "docs"));
        const content = input.make();
        await writeFile(path.join(dir, "docs", input.name), content);
        await emulator.reset();
        const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
        const run = await runGemindex(
          ["--json", "--db", "index", "index", "docs", "--max-file-mb", "64", "--batch", "never"],
          { cwd: dir, env },
        );
        if (run.code !== 0) throw new Error(`index failed (${run.code}): ${run.stderr}${run.stdout.slice(0, 2000)}`);
        const report = JSON.parse(run.stdout) as {
          chunks: { written: number };
          requests: number;
          warnings: Array<{ message: string }>;
        };
        const size = typeof content === "string" ? Buffer.byteLength(content) : content.length;
        rows.push([
          input.label,
          `${(size / 1024 / 1024).toFixed(1)} MiB`,
          String(report.chunks.written),
          String(report.requests),
          `${run.peakRssMiB.toFixed(0)} MiB`,
          `${(run.wallMs / 1000).toFixed(1)} s`,
          report.warnings.map((warning) => warning.message.split(" (")[0]).join("; ") || "-",
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await emulator.close();
  }
  printTable(
    "Big single inputs: one file per run, indexed with embeddings (emulator)",
    ["input", "size", "chunks", "requests", "peak RSS", "wall time", "note"],
    rows,
  );
  return rows;
}
