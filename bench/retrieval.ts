/**
 * Retrieval latency (issue 4): p50/p95 at 10k and 100k chunks × 768 dimensions for vector search
 * (exact and ANN, with the ANN's recall@10 against exact), lexical and hybrid. Query vectors are
 * computed in-process with the emulator's embedding function, so times are the index's alone,
 * not an embedding round trip.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openIndex } from "../src/index.js";
import { Store } from "../src/store/open-store.js";
import { embedText } from "../test/emulator/index.js";
import { writeCorpus } from "./support/corpus.js";
import { printTable, runGemindex, startEmulatorProcess } from "./support/harness.js";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time<T>(
  runs: number,
  fn: (i: number) => Promise<T>,
): Promise<{ p50: number; p95: number; results: T[] }> {
  for (let i = 0; i < 5; i++) await fn(i);
  const times: number[] = [];
  const results: T[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    results.push(await fn(i));
    times.push(performance.now() - start);
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), results };
}

const queryWords = (
  "river mountain lantern harbor glacier meadow orchard canyon compass beacon thunder saffron velvet granite " +
  "copper willow falcon ember quartz"
).split(" ");

export async function retrievalLatency(sizes: number[] = [1_000, 10_000]): Promise<void> {
  const rows: string[][] = [];
  const emulator = await startEmulatorProcess({});
  try {
    for (const files of sizes) {
      const dir = await mkdtemp(path.join(tmpdir(), "gemindex-bench-"));
      try {
        await writeCorpus(dir, files, 10);
        const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
        const built = await runGemindex(
          ["--json", "--db", "index", "index", "docs", "--chunk-tokens", "128", "--batch", "never"],
          { cwd: dir, env },
        );
        if (built.code !== 0) throw new Error(`index failed: ${built.stderr}${built.stdout}`);
        const index = await openIndex({
          uri: path.join(dir, "index"),
          cwd: dir,
          apiKey: emulator.apiKey,
          baseURL: emulator.baseURL,
        });
        // The bench times the store directly too (exact vs ANN search), through its own handle.
        const store = await Store.open(path.join(dir, "index"));
        const chunks = await store.countChunks();
        let annBuild = 0;
        if (!(await store.vectorIndexStats())) {
          const start = performance.now();
          await store.buildVectorIndex();
          annBuild = performance.now() - start;
        }
        const queries = Array.from({ length: 100 }, (_, i) => {
          const text =
            `${queryWords[i % queryWords.length]} ${queryWords[(i * 7) % queryWords.length]} ` +
            `item${i * 37}-${i % 10}`;
          return { text, vector: Float32Array.from(embedText(text, 768)) };
        });
        const exact = await time(queries.length, (i) =>
          store.vectorSearch(queries[i % queries.length]!.vector, { k: 10, exact: true }),
        );
        const ann = await time(queries.length, (i) =>
          store.vectorSearch(queries[i % queries.length]!.vector, { k: 10 }),
        );
        let overlap = 0;
        exact.results.forEach((truth, i) => {
          const found = new Set(ann.results[i]!.map((match) => match.id));
          overlap += truth.filter((match) => found.has(match.id)).length / Math.max(1, truth.length);
        });
        const lexical = await time(queries.length, (i) =>
          index.search(queries[i % queries.length]!.text, { k: 10, mode: "lexical" }),
        );
        const hybrid = await time(queries.length, (i) =>
          index.search(queries[i % queries.length]!.text, {
            k: 10,
            mode: "hybrid",
            vector: queries[i % queries.length]!.vector,
          }),
        );
        await index.close();
        store.close();
        const label = `${chunks.toLocaleString("en-US")} chunks`;
        rows.push([label, "vector, exact", exact.p50.toFixed(1), exact.p95.toFixed(1), "1.000 (reference)"]);
        rows.push([
          label,
          `vector, ANN (IVF_RQ${annBuild ? `, built in ${(annBuild / 1000).toFixed(1)} s` : ", built by the run"})`,
          ann.p50.toFixed(1),
          ann.p95.toFixed(1),
          (overlap / exact.results.length).toFixed(3),
        ]);
        rows.push([label, "lexical (BM25)", lexical.p50.toFixed(1), lexical.p95.toFixed(1), "-"]);
        rows.push([label, "hybrid (ANN + BM25, RRF)", hybrid.p50.toFixed(1), hybrid.p95.toFixed(1), "-"]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await emulator.close();
  }
  printTable(
    "Retrieval latency, 768 dims, k = 10, 100 queries (targets at 100k: vector p50 ≤ 15 ms, hybrid p50 ≤ 40 ms)",
    ["index", "mode", "p50 ms", "p95 ms", "recall@10 vs exact"],
    rows,
  );
}
