/**
 * The index on object storage (issue 11): 4 sharded workers against 1 worker on a 2,000-file
 * corpus, all on one s3:// index served by the test object store (s3rver behind the
 * conditional-put gate), with the emulator answering every embedding request after 300 ms; then
 * query latency on that remote index against the same index in a local folder. Each worker is a
 * CLI process, as users run them; the machine's cores are shared by the workers.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openIndex } from "../src/index.js";
import { embedText } from "../test/emulator/index.js";
import { startObjectStore } from "../test/support/object-store.js";
import { writeCorpus } from "./support/corpus.js";
import { printTable, runGemindex, startEmulatorProcess } from "./support/harness.js";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const queryWords = "river mountain lantern harbor glacier meadow orchard canyon compass beacon thunder".split(" ");

export async function remoteScaling(files = 2_000, latencyMs = 300): Promise<void> {
  const emulator = await startEmulatorProcess({ latencyMs });
  const store = await startObjectStore();
  const dir = await mkdtemp(path.join(tmpdir(), "gemindex-bench-remote-"));
  try {
    await writeCorpus(dir, files, 2);
    const cache = { XDG_CACHE_HOME: path.join(dir, "cache") };
    const env = { ...store.env(), GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL, ...cache };
    const index = (db: string, extra: string[] = []) =>
      runGemindex(["--db", db, "index", "docs", "--batch", "never", ...extra], { cwd: dir, env });
    const check = (run: { code: number | null; stderr: string; stdout: string }) => {
      if (run.code !== 0) throw new Error(`index failed: ${run.stderr}${run.stdout}`);
    };

    const requests = async () => (await emulator.stats()).requests;
    await emulator.reset();
    const one = await index(store.uri("one-worker"));
    check(one);
    const oneRequests = await requests();
    await emulator.reset();
    const started = performance.now();
    const shards = await Promise.all([0, 1, 2, 3].map((i) => index(store.uri("four-shards"), ["--shard", `${i}/4`])));
    const fourMs = performance.now() - started;
    for (const run of shards) check(run);
    const shardRequests = await requests();
    await emulator.reset();
    const local = await index(path.join(dir, "local-index"));
    check(local);
    const localRequests = await requests();
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const each = shards.map((run) => run.wallMs).sort((a, b) => a - b);
    printTable(
      `Sharded writers, ${files.toLocaleString("en-US")} files (2 sections each), embedding latency ${latencyMs} ms, ` +
        "s3:// on the test object store",
      ["run", "wall time s", "speed-up vs 1 worker", "embedding requests"],
      [
        ["1 worker, s3://", seconds(one.wallMs), "1.00", String(oneRequests)],
        [
          `4 shards at once, s3:// (each ${seconds(each[0]!)}–${seconds(each.at(-1)!)} s)`,
          seconds(fourMs),
          (one.wallMs / fourMs).toFixed(2),
          String(shardRequests),
        ],
        [
          "1 worker, local folder (reference)",
          seconds(local.wallMs),
          (one.wallMs / local.wallMs).toFixed(2),
          String(localRequests),
        ],
      ],
    );
    await queryLatency(store, path.join(dir, "local-index"), dir, env);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await store.close();
    await emulator.close();
  }
}

/** Lexical and hybrid p50/p95 on the remote index and the local one (query vectors computed in-process). */
async function queryLatency(
  store: Awaited<ReturnType<typeof startObjectStore>>,
  localUri: string,
  cwd: string,
  env: Record<string, string>,
): Promise<void> {
  const queries = Array.from({ length: 60 }, (_, i) => {
    const text = `${queryWords[i % queryWords.length]} ${queryWords[(i * 7) % queryWords.length]} item${i * 37}`;
    return { text, vector: Float32Array.from(embedText(text, 768)) };
  });
  const rows: string[][] = [];
  const measure = async (label: string, uri: string, objectLatencyMs = 0) => {
    store.latencyMs = objectLatencyMs;
    const index = await openIndex({ uri, cwd, env });
    try {
      for (const mode of ["lexical", "hybrid"] as const) {
        const times: number[] = [];
        for (const [i, query] of queries.entries()) {
          const start = performance.now();
          await index.search(query.text, { k: 10, mode, vector: mode === "hybrid" ? query.vector : undefined });
          if (i >= 5) times.push(performance.now() - start);
        }
        rows.push([label, mode, percentile(times, 50).toFixed(1), percentile(times, 95).toFixed(1)]);
      }
    } finally {
      await index.close();
      store.latencyMs = 0;
    }
  };
  await measure("local folder", localUri);
  await measure("s3:// (object store on localhost)", store.uri("four-shards"));
  await measure("s3:// with 20 ms per object-store request", store.uri("four-shards"), 20);
  printTable(
    "Query latency on the sharded remote index vs local, k = 10, 55 queries",
    ["index", "mode", "p50 ms", "p95 ms"],
    rows,
  );
}
