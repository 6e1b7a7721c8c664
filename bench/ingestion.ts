/**
 * Ingestion benchmarks (issue 3): (1) sync ingestion rate against a rate-limited, slow emulator as
 * a fraction of the quota-bound rate; (2) peak RSS while indexing ≥ 100k chunks; (3) what a
 * re-index costs after editing 1% of the files.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { editSection, writeCorpus } from "./support/corpus.js";
import { printTable, runGemindex, startEmulatorProcess } from "./support/harness.js";

async function workspace(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "gemindex-bench-"));
}

function parseReport(stdout: string): {
  files: Record<string, number>;
  chunks: { written: number; embedded: number; reused: number };
  requests: number;
  tokens: number;
  durationMs: number;
} {
  return JSON.parse(stdout);
}

/**
 * (1) Requests paced at the quota against 300 ms latency: achieved rate ÷ quota-bound rate. Gemini
 * counts each embedding input as a request, so the quota is in inputs per minute (and so is --rpm).
 */
export async function ingestionRate(options: { rpm?: number; files?: number } = {}): Promise<string[][]> {
  const rpm = options.rpm ?? 30_000;
  const latencyMs = 300;
  const dir = await workspace();
  const rows: string[][] = [];
  try {
    await writeCorpus(dir, options.files ?? 2000, 10);
    const emulator = await startEmulatorProcess({ latencyMs, limits: { "gemini-embedding-001": { rpm } } });
    try {
      const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
      const run = await runGemindex(
        [
          "--json",
          "--db",
          "index",
          "index",
          "docs",
          "--chunk-tokens",
          "128",
          "--rpm",
          String(rpm),
          "--concurrency",
          "8",
          "--batch",
          "never",
        ],
        { cwd: dir, env },
      );
      if (run.code !== 0) throw new Error(`index failed (${run.code}): ${run.stderr}${run.stdout}`);
      const report = parseReport(run.stdout);
      const stats = await emulator.stats();
      const spanMs = stats.last! - stats.first!;
      // Inputs sent after the first request started, up to the last one's start, at the quota's pace.
      const quotaBoundMs = ((stats.inputs - stats.lastInputs) * 60_000) / rpm;
      const achievedPerMin = ((stats.inputs - stats.lastInputs) / spanMs) * 60_000;
      rows.push([
        `${rpm.toLocaleString("en-US")} inputs/min, ${latencyMs} ms latency, --rpm ${rpm}`,
        String(report.chunks.embedded),
        String(stats.ok),
        String(stats.rateLimited),
        achievedPerMin.toFixed(0),
        (quotaBoundMs / spanMs).toFixed(3),
        `${(run.wallMs / 1000).toFixed(1)} s`,
      ]);
    } finally {
      await emulator.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(
    "Sync ingestion rate vs. the quota-bound rate (target ≥ 0.95)",
    ["setup", "chunks", "requests (200)", "429s", "inputs/min", "fraction of quota", "wall"],
    rows,
  );
  return rows;
}

/**
 * (1b) A free-tier key (100 inputs, 30,000 tokens a minute, each input a request) indexing 40 files
 * of 4 sections (~250 tokens each): wall time against the quota-bound time, max(inputs / 100,
 * tokens / 30,000) minutes, with no flags (the quota is learned from the first 429) and with
 * --tier free. Real minutes: about 1.6 per row (the client paces on its own clock).
 */
export async function freeTier(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [setup, flags] of [
    ["no flags", []],
    ["--tier free", ["--tier", "free"]],
  ] as const) {
    const dir = await workspace();
    try {
      await writeCorpus(dir, 40, 4, 10);
      const emulator = await startEmulatorProcess({ tier: "free", latencyMs: 100 });
      try {
        const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
        // Sections of ~250 tokens, one chunk each: 160 inputs, ~45,000 tokens.
        const args = ["--json", "--db", "index", "index", "docs", "--chunk-tokens", "300", "--batch", "never"];
        const run = await runGemindex([...args, ...flags], {
          cwd: dir,
          env,
        });
        if (run.code !== 0) throw new Error(`index failed (${run.code}): ${run.stderr}${run.stdout}`);
        const report = parseReport(run.stdout);
        const stats = await emulator.stats();
        const quotaBoundMs = Math.max(stats.inputs / 100, stats.tokens / 30_000) * 60_000;
        rows.push([
          setup,
          `${report.files.new}/40`,
          String(report.files.failed),
          String(stats.inputs),
          stats.tokens.toLocaleString("en-US"),
          String(stats.ok),
          String(stats.rateLimited),
          `${(quotaBoundMs / 1000).toFixed(1)} s`,
          `${(run.wallMs / 1000).toFixed(1)} s`,
          (quotaBoundMs / run.wallMs).toFixed(2),
        ]);
      } finally {
        await emulator.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  printTable(
    "Free-tier key, 40 files × 4 sections: quota-bound time ÷ wall time (target ≥ 0.8, 0 files lost)",
    [
      "setup",
      "files indexed",
      "failed",
      "inputs",
      "tokens",
      "requests (200)",
      "429s",
      "quota-bound",
      "wall",
      "fraction",
    ],
    rows,
  );
  return rows;
}

/** (2) Peak RSS indexing a generated corpus of ≥ 100k chunks, and (3) a re-index after editing 1% of the files. */
export async function memoryAndReindex(options: { files?: number } = {}): Promise<void> {
  const files = options.files ?? 10_000;
  const dir = await workspace();
  try {
    const paths = await writeCorpus(dir, files, 10);
    const emulator = await startEmulatorProcess({});
    try {
      const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
      const args = [
        "--json",
        "--db",
        "index",
        "index",
        "docs",
        "--chunk-tokens",
        "128",
        "--concurrency",
        "4",
        "--batch",
        "never",
      ];
      // Ingestion alone first (no ANN index), then the same corpus with the automatic ANN build.
      const first = await runGemindex([...args, "--ann-threshold", "100000000"], { cwd: dir, env });
      if (first.code !== 0) throw new Error(`index failed (${first.code}): ${first.stderr}${first.stdout}`);
      const firstReport = parseReport(first.stdout);
      const firstStats = await emulator.stats();
      const withAnn = await runGemindex(
        [
          "--json",
          "--db",
          "index-ann",
          "index",
          "docs",
          "--chunk-tokens",
          "128",
          "--concurrency",
          "4",
          "--batch",
          "never",
        ],
        { cwd: dir, env },
      );
      if (withAnn.code !== 0) throw new Error(`index failed (${withAnn.code}): ${withAnn.stderr}${withAnn.stdout}`);

      const lexicalDir = path.join(dir, "lexical");
      const lexical = await runGemindex(["--json", "--db", lexicalDir, "index", "docs", "--chunk-tokens", "128"], {
        cwd: dir,
      });
      const lexicalReport = parseReport(lexical.stdout);

      // Re-index runs go against the index that has its ANN index already, as a user's would.
      const reindexArgs = [
        "--json",
        "--db",
        "index-ann",
        "index",
        "docs",
        "--chunk-tokens",
        "128",
        "--concurrency",
        "4",
        "--batch",
        "never",
      ];
      await emulator.reset();
      const unchanged = await runGemindex(reindexArgs, { cwd: dir, env });
      const unchangedStats = await emulator.stats();

      await emulator.reset();
      const edited = paths.filter((_, i) => i % 100 === 0);
      for (const relative of edited) await editSection(dir, relative, "bench");
      const again = await runGemindex(reindexArgs, { cwd: dir, env });
      const againReport = parseReport(again.stdout);
      const againStats = await emulator.stats();

      printTable(
        "Indexing a generated corpus: peak RSS (target ≤ 512 MB)",
        ["run", "files", "chunks", "embedding requests", "wall", "chunks/s", "peak RSS"],
        [
          [
            "with embeddings (768 dims)",
            String(files),
            String(firstReport.chunks.written),
            String(firstStats.ok),
            `${(first.wallMs / 1000).toFixed(1)} s`,
            (firstReport.chunks.written / (first.wallMs / 1000)).toFixed(0),
            `${first.peakRssMiB.toFixed(0)} MiB`,
          ],
          [
            "same, then the automatic ANN build (IVF_RQ)",
            String(files),
            String(firstReport.chunks.written),
            String(firstStats.ok),
            `${(withAnn.wallMs / 1000).toFixed(1)} s`,
            (firstReport.chunks.written / (withAnn.wallMs / 1000)).toFixed(0),
            `${withAnn.peakRssMiB.toFixed(0)} MiB`,
          ],
          [
            "lexical only (no key)",
            String(files),
            String(lexicalReport.chunks.written),
            "0",
            `${(lexical.wallMs / 1000).toFixed(1)} s`,
            (lexicalReport.chunks.written / (lexical.wallMs / 1000)).toFixed(0),
            `${lexical.peakRssMiB.toFixed(0)} MiB`,
          ],
        ],
      );
      printTable(
        "Re-index cost (target: only the changed chunks)",
        [
          "change",
          "files changed",
          "chunks changed",
          "inputs embedded",
          "requests",
          "chunks reused",
          "wall",
          "peak RSS",
        ],
        [
          [
            "none",
            "0",
            "0",
            String(unchangedStats.inputs),
            String(unchangedStats.ok),
            "-",
            `${(unchanged.wallMs / 1000).toFixed(1)} s`,
            `${unchanged.peakRssMiB.toFixed(0)} MiB`,
          ],
          [
            `1% of files (${edited.length}), one section each`,
            String(againReport.files.changed),
            String(edited.length),
            String(againStats.inputs),
            String(againStats.ok),
            String(againReport.chunks.reused),
            `${(again.wallMs / 1000).toFixed(1)} s`,
            `${again.peakRssMiB.toFixed(0)} MiB`,
          ],
        ],
      );
    } finally {
      await emulator.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
