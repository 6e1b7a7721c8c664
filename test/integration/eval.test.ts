import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EvalReport, runEval } from "../../src/index.js";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { embeddingRequests, requestInputs, requestTaskTypes } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir, makeWorkspace, type Workspace } from "../support/workspace.js";

const mini = path.join(fixturesDir, "beir-mini");
const files = {
  corpus: path.join(mini, "corpus.jsonl"),
  queries: path.join(mini, "queries.jsonl"),
  qrels: path.join(mini, "qrels.tsv"),
};

/** The query that each judged query should find first (its highest-graded document). */
const expectedFirst: Record<string, string> = {
  "q-tide": "tide-pools",
  "q-sourdough": "sourdough",
  "q-solar": "solar-heat",
  "q-glacier": "glaciers",
  "q-bees": "waggle-dance",
  "q-coral": "coral-bleaching",
  "q-chess": "chess-openings",
};

let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace("gemindex-eval-");
});
afterEach(async () => {
  await workspace.cleanup();
});

function evalArgs(overrides: Partial<typeof files> = {}, extra: string[] = []): string[] {
  const chosen = { ...files, ...overrides };
  return [
    "eval",
    "--corpus",
    chosen.corpus,
    "--queries",
    chosen.queries,
    "--qrels",
    chosen.qrels,
    "--work",
    path.join(workspace.root, "work"),
    ...extra,
  ];
}

const online = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
/** A query is a one-input embedding request holding one of the data set's queries (on either endpoint). */
const queryTexts = new Set(
  readFileSync(files.queries, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { text: string }).text),
);
const isQuery = (request: LoggedRequest) => {
  const input = requestInputs(request);
  return input.length === 1 && queryTexts.has(input[0]!);
};
const documentEmbeddings = () => embeddingRequests(emulator).filter((request) => !isQuery(request));
const queryEmbeddings = () => embeddingRequests(emulator).filter((request) => isQuery(request));

function completed(report: EvalReport, mode: string) {
  const result = report.modes.find((candidate) => candidate.mode === mode);
  if (result?.status !== "completed") throw new Error(`${mode} did not run: ${JSON.stringify(result)}`);
  return result;
}

describe("gemindex eval", () => {
  it(`evaluates lexical search offline, ranks each judged query's best document first, \
and skips vector and hybrid`, async () => {
    const run = await runGemindex([...evalArgs(), "--json", "--per-query"], { cwd: workspace.root });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as EvalReport;

    expect(report.corpus).toMatchObject({ documents: 12, written: 12, removed: 0 });
    expect(report.queries).toEqual({ file: files.queries, total: 9, evaluated: 7, unjudged: 1, withoutRelevant: 1 });
    expect(report.qrels).toMatchObject({ judgments: 12, relevant: 9, unknownQueries: 0, unknownDocuments: 0 });
    expect(report.notices).toEqual([
      {
        kind: "eval-unjudged-queries",
        count: 1,
        message: "1 query has no relevant judgment and is left out of the averages.",
      },
    ]);
    expect(report.index.files).toMatchObject({ seen: 12, new: 12, failed: 0 });

    const lexical = completed(report, "lexical");
    expect(lexical.queries).toBe(7);
    for (const query of lexical.perQuery!) expect(query.top[0], query.id).toBe(expectedFirst[query.id]);
    expect(lexical.perQuery!.map((query) => query.id)).toEqual(Object.keys(expectedFirst));
    expect(lexical.metrics.mrrAt10).toBe(1);
    expect(lexical.metrics.recall["1"]).toBeCloseTo(6 / 7, 10); // q-tide and q-sourdough have two relevant documents
    expect(lexical.metrics.recall["10"]).toBe(1);
    expect(lexical.metrics.ndcgAt10).toBeGreaterThan(0.95);
    expect(lexical.metrics.ndcgAt10).toBeLessThanOrEqual(1);
    expect(lexical.latencyMs.p50).toBeGreaterThan(0);
    expect(lexical.latencyMs.p95).toBeGreaterThanOrEqual(lexical.latencyMs.p50);

    expect(report.modes.filter((mode) => mode.status === "skipped").map((mode) => mode.mode)).toEqual([
      "vector",
      "hybrid",
    ]);
    expect(emulator.requests()).toHaveLength(0);
  });

  it("prints a table with one row per mode and the offline notice", async () => {
    const run = await runGemindex([...evalArgs(), "--k", "1,10"], { cwd: workspace.root });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^gemindex: no GEMINI_API_KEY set: evaluating lexical \(BM25\) search only; .*\n/);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe(`Evaluated 7 queries against 12 documents in ${lines[0]!.split(" in ").at(-1)}`);
    const header = lines.find((line) => line.startsWith("mode"))!;
    expect(header.split(/\s{2,}/)).toEqual([
      "mode",
      "nDCG@10",
      "MRR@10",
      "recall@1",
      "recall@10",
      "queries",
      "p50 ms",
      "p95 ms",
    ]);
    expect(
      lines
        .find((line) => line.startsWith("lexical"))!
        .split(/\s+/)
        .slice(0, 6),
    ).toEqual(["lexical", expect.stringMatching(/^0\.9\d{3}$/), "1.0000", "0.8571", "1.0000", "7"]);
    expect(run.stdout).toContain("vector   skipped: vector search needs GEMINI_API_KEY");
  });

  it("evaluates hybrid and vector search against the emulator; a second run embeds no document again", async () => {
    const first = await runGemindex([...evalArgs(), "--json", "--per-query", "--mode", "hybrid", "vector"], {
      cwd: workspace.root,
      env: online(),
    });
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as EvalReport;
    expect(report.index.files.new).toBe(12);
    expect(report.modes.map((mode) => mode.mode)).toEqual(["hybrid", "vector"]);
    for (const mode of ["hybrid", "vector"]) {
      const result = completed(report, mode);
      for (const query of result.perQuery!) expect(query.top[0], `${mode} ${query.id}`).toBe(expectedFirst[query.id]);
      expect(result.metrics.mrrAt10).toBe(1);
      expect(result.metrics.ndcgAt10).toBeGreaterThan(0.9);
    }
    expect(documentEmbeddings().length).toBeGreaterThan(0);
    // One query embedding per judged query and mode, in the query form, paired with the documents' form.
    expect(queryEmbeddings()).toHaveLength(7 * 2);
    expect(new Set(queryEmbeddings().flatMap(requestTaskTypes))).toEqual(new Set(["RETRIEVAL_QUERY"]));
    expect(new Set(documentEmbeddings().flatMap(requestTaskTypes))).toEqual(new Set(["RETRIEVAL_DOCUMENT"]));

    emulator.reset();
    const second = await runGemindex([...evalArgs(), "--json", "--mode", "hybrid"], {
      cwd: workspace.root,
      env: online(),
    });
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as EvalReport;
    expect(again.corpus.written).toBe(0);
    expect(again.index.files).toMatchObject({ new: 0, changed: 0, unchanged: 12 });
    expect(documentEmbeddings()).toHaveLength(0);
    expect(queryEmbeddings()).toHaveLength(7);
    expect(completed(again, "hybrid").metrics).toEqual(completed(report, "hybrid").metrics);
  });

  it("re-indexes only the documents that changed in the corpus", async () => {
    const corpus = await workspace.write("corpus.jsonl", await readFile(files.corpus, "utf8"));
    expect((await runGemindex(evalArgs({ corpus }), { cwd: workspace.root })).code).toBe(0);
    const lines = (await readFile(corpus, "utf8")).trim().split("\n");
    lines[2] = JSON.stringify({
      _id: "solar-heat",
      title: "Solar panels in hot weather",
      text: "Panels lose efficiency as they heat up.",
    });
    await writeFile(corpus, `${lines.filter((line) => !line.includes('"typewriters"')).join("\n")}\n`);
    const run = await runGemindex([...evalArgs({ corpus }), "--json"], { cwd: workspace.root });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as EvalReport;
    expect(report.corpus).toMatchObject({ documents: 11, written: 1, removed: 1 });
    expect(report.index.files).toMatchObject({ new: 0, changed: 1, unchanged: 10, removed: 1 });
  });

  it("keeps its work folder in the user's cache folder unless --work says otherwise", async () => {
    const cache = path.join(workspace.root, "cache");
    const argv = evalArgs().slice(0, -2);
    const run = await runGemindex([...argv, "--json"], { cwd: workspace.root, env: { XDG_CACHE_HOME: cache } });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as EvalReport).work).toMatch(
      new RegExp(`^${cache}/gemindex/eval/beir-mini-[0-9a-f]{8}$`),
    );
  });

  it("refuses vector-only evaluation without a key, before indexing anything", async () => {
    const run = await runGemindex([...evalArgs(), "--mode", "vector"], { cwd: workspace.root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "gemindex: vector search needs GEMINI_API_KEY; without it only lexical search can be evaluated.",
    );
    expect(run.stdout).toBe("");
  });
});

describe("gemindex eval with bad input files", () => {
  async function expectBadInput(argv: string[], message: string) {
    const run = await runGemindex(argv, { cwd: workspace.root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`gemindex: ${message}`);
    return run;
  }

  it("names a missing file", async () => {
    const missing = path.join(workspace.root, "nope", "queries.jsonl");
    await expectBadInput(evalArgs({ queries: missing }), `${missing}: cannot read it: file not found`);
  });

  it("names the file and line of malformed JSON in the corpus", async () => {
    const corpus = await workspace.write(
      "corpus.jsonl",
      '{"_id": "a", "title": "A", "text": "alpha"}\n\n{"_id": "b", "text": "beta"\n',
    );
    await expectBadInput(evalArgs({ corpus }), `${corpus}:3: not valid JSON`);
  });

  it("names the line of a corpus document without text, and of a duplicate id", async () => {
    const noText = await workspace.write(
      "no-text.jsonl",
      '{"_id": "a", "text": "alpha"}\n{"_id": "b", "title": "B"}\n',
    );
    await expectBadInput(evalArgs({ corpus: noText }), `${noText}:2: missing "text" (a string)`);
    const duplicate = await workspace.write(
      "duplicate.jsonl",
      '{"_id": "a", "text": "alpha"}\n{"_id": "b", "text": "beta"}\n{"_id": "a", "text": "again"}\n',
    );
    await expectBadInput(
      evalArgs({ corpus: duplicate }),
      `${duplicate}:3: duplicate document id "a" (first on line 1)`,
    );
  });

  it("names the line of a qrels score that is not a number, and of a line with too few fields", async () => {
    const score = await workspace.write(
      "score.tsv",
      "query-id\tcorpus-id\tscore\nq-tide\ttide-pools\t1\nq-solar\tsolar-heat\thigh\n",
    );
    await expectBadInput(evalArgs({ qrels: score }), `${score}:3: score "high" is not a number`);
    const fields = await workspace.write("fields.tsv", "query-id\tcorpus-id\tscore\nq-tide tide-pools 1\n");
    await expectBadInput(
      evalArgs({ qrels: fields }),
      `${fields}:2: expected 3 tab-separated fields (query-id, corpus-id, score), found 1`,
    );
  });

  it("names the line of a query that is not an object, and reports the error as JSON under --json", async () => {
    const queries = await workspace.write("queries.jsonl", '{"_id": "q1", "text": "tide pools"}\n["q2", "glaciers"]\n');
    const run = await expectBadInput([...evalArgs({ queries }), "--json"], `${queries}:2: expected a JSON object`);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: "CONFIG", message: `${queries}:2: expected a JSON object`, exitCode: 2 },
    });
  });
});

describe("runEval", () => {
  it("stops at an abort with the caller's own reason, between queries", async () => {
    const controller = new AbortController();
    const reason = new Error("stop here");
    let searched = 0;
    const run = runEval({
      ...files,
      work: path.join(workspace.root, "work"),
      modes: ["lexical"],
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase !== "searching") return;
        searched = progress.done;
        if (progress.done === 2) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(searched).toBe(2);
  });
});
