/**
 * Retrieval quality on BEIR SciFact (test split: 5,183 abstracts, 300 claims): `gemindex eval`
 * as users run it, lexical offline, then vector and hybrid against the emulator in its own
 * process. The emulator's embeddings are a hashed bag of words: vector and hybrid figures show
 * the pipeline works end to end, not what Gemini embeddings score. Needs the data set in
 * ../shared/data/scifact (corpus.jsonl, queries.jsonl, qrels.tsv); skipped without it.
 */
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EvalReport } from "../src/index.js";
import { printTable, root, runGemindex, startEmulatorProcess } from "./support/harness.js";

/** BEIR's published BM25 (Elasticsearch) nDCG@10 on SciFact (Thakur et al., 2021). */
const beirBm25Ndcg = 0.665;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export async function scifactEval(dataDir = path.resolve(root, "../shared/data/scifact")): Promise<void> {
  const files = {
    corpus: path.join(dataDir, "corpus.jsonl"),
    queries: path.join(dataDir, "queries.jsonl"),
    qrels: path.join(dataDir, "qrels.tsv"),
  };
  for (const file of Object.values(files)) {
    if (!(await exists(file))) {
      console.log(`\n### SciFact retrieval quality\n\nSkipped: ${file} not found (put BEIR SciFact in ${dataDir}).`);
      return;
    }
  }
  const dir = await mkdtemp(path.join(tmpdir(), "gemindex-bench-eval-"));
  const args = ["--json", "eval", "--corpus", files.corpus, "--queries", files.queries, "--qrels", files.qrels];
  const rows: Array<Array<string | number>> = [];
  const addRows = (report: EvalReport, setup: string, indexMs: number) => {
    for (const mode of report.modes) {
      if (mode.status !== "completed") continue;
      const { metrics, latencyMs } = mode;
      rows.push([
        mode.mode,
        setup,
        metrics.ndcgAt10.toFixed(4),
        metrics.mrrAt10.toFixed(4),
        ...report.k.map((k) => metrics.recall[String(k)]!.toFixed(4)),
        mode.queries,
        latencyMs.p50.toFixed(1),
        latencyMs.p95.toFixed(1),
        `${(indexMs / 1000).toFixed(1)} s`,
      ]);
    }
  };
  try {
    const lexical = await runGemindex([...args, "--work", path.join(dir, "offline"), "--mode", "lexical"], {
      cwd: dir,
    });
    if (lexical.code !== 0) throw new Error(`eval failed (${lexical.code}): ${lexical.stderr}${lexical.stdout}`);
    const offline = JSON.parse(lexical.stdout) as EvalReport;
    addRows(offline, "offline (BM25)", offline.index.durationMs);

    const emulator = await startEmulatorProcess({});
    try {
      const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
      const run = await runGemindex([...args, "--work", path.join(dir, "online"), "--mode", "vector", "hybrid"], {
        cwd: dir,
        env,
      });
      if (run.code !== 0) throw new Error(`eval failed (${run.code}): ${run.stderr}${run.stdout}`);
      const online = JSON.parse(run.stdout) as EvalReport;
      addRows(online, "emulator embeddings (hashed bag of words)", online.index.durationMs);
    } finally {
      await emulator.close();
    }
    printTable(
      `SciFact (BEIR test split, ${offline.corpus.documents} documents, ${offline.queries.evaluated} queries): ` +
        `gemindex eval`,
      [
        "mode",
        "embeddings",
        "nDCG@10",
        "MRR@10",
        ...offline.k.map((k) => `recall@${k}`),
        "queries",
        "p50 ms",
        "p95 ms",
        "index build",
      ],
      rows,
    );
    console.log(
      `\nBEIR's BM25 reference (Elasticsearch, title and text fields): nDCG@10 ${beirBm25Ndcg}. Vector and hybrid ` +
        `rows use the test emulator's` +
        (" embeddings (a hashed bag of words), not Gemini's: they check the pipeline, not the model. Latency is per " +
          "search() call") +
        (` with k = ${offline.searchK} (chunks fetched so that ${offline.k.at(-1)} distinct documents remain), ` +
          `including the query embedding round trip.`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
