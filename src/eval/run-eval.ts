import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveSettings, settingsFromEnv } from "../config/settings.js";
import { ConfigError, GemindexError, needsApiKeyError } from "../errors.js";
import type { IndexReport } from "../indexing/types.js";
import type { Notice } from "../notices.js";
import { type GemIndex, openIndex } from "../open-index.js";
import type { SearchMode } from "../retrieval/types.js";
import { materializeCorpus } from "./materialize-corpus.js";
import { type Qrels, readBeirQrels, readBeirQueries } from "./read-beir.js";
import { countRelevant, MetricAccumulator, ndcgAt, reciprocalRankAt } from "./retrieval-metrics.js";
import type { EvalModeReport, EvalOptions, EvalQueryResult, EvalReport, LatencySummary } from "./types.js";

const allModes: SearchMode[] = ["lexical", "vector", "hybrid"];
/** Default recall cutoffs, as BEIR reports them. */
export const defaultEvalCutoffs = [1, 5, 10, 100];
/**
 * Chunks requested per document needed: a long document can fill several places of the chunk
 * ranking, and only its best one counts.
 */
const overfetch = 2;
/** Bumped when the Markdown layout of documents changes, so old indexes are rebuilt. */
const layoutVersion = 1;

/**
 * Measures retrieval quality on a BEIR-format data set, through the public API exactly as a
 * user's program would: the corpus becomes one Markdown file per document in `work/docs`
 * (`# title`, then the text), `index()` indexes the folder incrementally (a second evaluation of
 * the same corpus re-reads nothing and embeds nothing), and every judged query goes through
 * `search()` in each mode. Hits count per document: the best-ranked chunk of a document is its
 * rank, its later chunks are dropped. Reports recall@k, MRR@10 and nDCG@10 (BEIR's definitions,
 * graded gains) and query latency per mode. Without an API key, vector and hybrid are skipped.
 *
 * Queries count as BEIR counts them: only queries with a qrels line are run. Queries whose
 * judgments are all ≤ 0 are left out of the averages (every metric is undefined for them;
 * pytrec_eval would score them 0) and counted in `queries.withoutRelevant`.
 *
 * @throws EvalInputError (exit code 2) for a missing file or malformed line, naming file and line.
 * @example
 * import { runEval } from "gemindex";
 * const report = await runEval({ corpus: "scifact/corpus.jsonl", queries: "scifact/queries.jsonl",
 *   qrels: "scifact/qrels/test.tsv", work: ".eval/scifact", modes: ["lexical"] });
 * console.log(report.modes[0]);
 */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const { signal, onProgress } = options;
  const { modes, cutoffs } = checkedModes(options);
  const work = path.resolve(options.work);
  const online = hasApiKey(options);
  if (!online && !modes.includes("lexical")) {
    throw needsApiKeyError(
      "eval",
      `${modes.join(" and ")} search need${modes.length === 1 ? "s" : ""} an API key; without one only lexical ` +
        "search can be evaluated.",
      { modes },
    );
  }

  onProgress?.({ phase: "reading" });
  const qrels = await readBeirQrels(options.qrels, { signal });
  const queries = await readBeirQueries(options.queries, { signal });

  onProgress?.({ phase: "materializing" });
  const docs = path.join(work, "docs");
  const corpus = await materializeCorpus(options.corpus, docs, { signal });
  if (corpus.documents === 0) throw new ConfigError(`${options.corpus}: the corpus has no documents.`);

  const { evaluated, unjudged, withoutRelevant } = judgedQueries(queries, qrels);
  const qrelsSummary = summarizeQrels(qrels, queries, new Set(corpus.idsByFile.values()));
  const notices = judgmentNotices(options, qrelsSummary, withoutRelevant);
  if (evaluated.length === 0)
    throw new ConfigError(
      `No query of ${options.queries} has a relevant judgment in ${options.qrels}: nothing to evaluate.`,
    );

  const uri = path.join(work, online ? "index-online" : "index-offline");
  const index = await openIndex({ ...options.open, uri, cwd: work });
  try {
    const report = await indexCorpus(index, { options, work, docs, uri, online, documents: corpus.documents });
    const failed = failedDocumentsNotice(report);
    if (failed) notices.push(failed);

    const modeReports: EvalModeReport[] = [];
    const searchK = Math.max(cutoffs.at(-1)!, 10) * overfetch;
    for (const mode of modes) {
      if (mode !== "lexical" && !index.online) {
        modeReports.push({ mode, status: "skipped", reason: `${mode} search needs GEMINI_API_KEY` });
        continue;
      }
      modeReports.push(
        await evaluateMode(index, mode, evaluated, {
          cutoffs,
          searchK,
          idsByFile: corpus.idsByFile,
          perQuery: options.perQuery,
          signal,
          onProgress,
        }),
      );
    }

    return {
      work,
      corpus: { file: options.corpus, documents: corpus.documents, written: corpus.written, removed: corpus.removed },
      queries: { file: options.queries, total: queries.size, evaluated: evaluated.length, unjudged, withoutRelevant },
      qrels: { file: options.qrels, ...qrelsSummary },
      k: cutoffs,
      searchK,
      index: report,
      modes: modeReports,
      notices,
      durationMs: performance.now() - started,
    };
  } finally {
    await index.close();
  }
}

/** The modes and recall cutoffs asked for, without repeats (cutoffs ascending); refuses none or bad ones. */
function checkedModes(options: EvalOptions): { modes: SearchMode[]; cutoffs: number[] } {
  const modes = [...new Set(options.modes ?? allModes)];
  const cutoffs = [...new Set(options.k ?? defaultEvalCutoffs)].sort((a, b) => a - b);
  if (modes.length === 0) throw new ConfigError("Give at least one retrieval mode to evaluate.");
  for (const k of cutoffs)
    if (!Number.isInteger(k) || k < 1) throw new ConfigError(`Recall cutoffs must be positive integers, got ${k}.`);
  return { modes, cutoffs };
}

/** Whether the index will be opened with an API key (the settings it would resolve). */
function hasApiKey(options: EvalOptions): boolean {
  const env = options.open?.env ? settingsFromEnv(options.open.env) : undefined;
  return Boolean(resolveSettings(env, options.open ?? {}).apiKey);
}

type JudgedQuery = { id: string; text: string; judgments: Map<string, number> };

/**
 * The queries to run, as BEIR counts them: those with at least one relevant judgment. Counts the
 * queries without a qrels line (`unjudged`) and those whose judgments are all ≤ 0.
 */
function judgedQueries(
  queries: Map<string, string>,
  qrels: Qrels,
): { evaluated: JudgedQuery[]; unjudged: number; withoutRelevant: number } {
  const evaluated: JudgedQuery[] = [];
  let unjudged = 0;
  let withoutRelevant = 0;
  for (const [id, text] of queries) {
    const judgments = qrels.get(id);
    if (!judgments) unjudged++;
    else if (countRelevant(judgments) === 0) withoutRelevant++;
    else evaluated.push({ id, text, judgments });
  }
  return { evaluated, unjudged, withoutRelevant };
}

/** Notices for judgments that cannot count: unknown query ids and documents, queries with nothing relevant. */
function judgmentNotices(
  options: EvalOptions,
  summary: Omit<EvalReport["qrels"], "file">,
  withoutRelevant: number,
): Notice[] {
  const notices: Notice[] = [];
  if (summary.unknownQueries > 0)
    notices.push({
      kind: "eval-unknown-queries",
      count: summary.unknownQueries,
      qrels: options.qrels,
      queries: options.queries,
      message:
        `${summary.unknownQueries} query ids of ${options.qrels} are not in ${options.queries}; their ` +
        `judgments are unused.`,
    });
  if (summary.unknownDocuments > 0)
    notices.push({
      kind: "eval-unknown-documents",
      count: summary.unknownDocuments,
      qrels: options.qrels,
      message:
        `${summary.unknownDocuments} relevant documents of ${options.qrels} are not in the corpus; ` +
        `they count as never retrieved.`,
    });
  if (withoutRelevant > 0)
    notices.push({
      kind: "eval-unjudged-queries",
      count: withoutRelevant,
      message:
        `${withoutRelevant} ${withoutRelevant === 1 ? "query has" : "queries have"} no relevant judgment and ` +
        `${withoutRelevant === 1 ? "is" : "are"} left out of the averages.`,
    });
  return notices;
}

/**
 * Indexes the materialized corpus folder incrementally; resets the index when the layout, chunking
 * or embedding differ from the last evaluation's (kept in `<uri>.json`). Throws when the run failed,
 * left documents to a Batch API job, or did not see every document.
 */
async function indexCorpus(
  index: GemIndex,
  run: { options: EvalOptions; work: string; docs: string; uri: string; online: boolean; documents: number },
): Promise<IndexReport> {
  const { options, work, docs } = run;
  const { signal, onProgress } = options;
  const chunking = options.chunking ?? {};
  const state = {
    layoutVersion,
    chunking,
    embedding: index.embedding,
    baseURL: run.online ? (index.settings.baseURL ?? null) : null,
  };
  const stateFile = `${run.uri}.json`;
  const previous = await readFile(stateFile, "utf8").catch(() => undefined);
  const reset = previous !== undefined && previous !== JSON.stringify(state);
  const report = await index.index([docs], {
    ...options.indexing,
    batch: options.indexing?.batch ?? "never",
    chunking,
    reset,
    // A corpus that lost most of its documents is still the corpus to evaluate.
    prune: true,
    signal,
    onProgress: onProgress && ((progress) => onProgress({ phase: "indexing", index: progress })),
  });
  signal?.throwIfAborted();
  if (report.error) throw new GemindexError(report.error.message, report.error.code, { data: report.error.data });
  if (report.batch && report.batch.waiting > 0) {
    throw new ConfigError(
      `${report.batch.waiting} documents wait for a Batch API job; evaluate once collectBatches() has written ` +
        'them, or index with batch "never".',
    );
  }
  await mkdir(work, { recursive: true });
  await writeFile(stateFile, JSON.stringify(state));
  const seen = report.files.seen;
  if (seen < run.documents) {
    throw new ConfigError(
      `Indexing saw ${seen} of the ${run.documents} documents in ${docs}: the work folder is probably covered ` +
        `by a .gitignore or .gemindexignore. Choose a work folder outside it.`,
    );
  }
  return report;
}

/** A notice naming the documents the run could not index (they can never be retrieved), if any. */
function failedDocumentsNotice(report: IndexReport): Notice | undefined {
  if (report.files.failed === 0) return undefined;
  const first = report.failures[0];
  return {
    kind: "eval-failed-documents",
    count: report.files.failed,
    ...(first ? { first: { path: first.path, reason: first.reason } } : {}),
    message:
      `${report.files.failed} documents could not be indexed and cannot be ` +
      `retrieved${first ? ` (${path.basename(first.path)}: ${first.reason})` : ""}.`,
  };
}

/** Runs every query in one mode and scores the document rankings. */
async function evaluateMode(
  index: GemIndex,
  mode: SearchMode,
  queries: JudgedQuery[],
  options: Pick<EvalOptions, "signal" | "onProgress" | "perQuery"> & {
    cutoffs: number[];
    searchK: number;
    idsByFile: Map<string, string>;
  },
): Promise<EvalModeReport> {
  const metrics = new MetricAccumulator(options.cutoffs);
  const latencies: number[] = [];
  const perQuery: EvalQueryResult[] = [];
  for (const [done, query] of queries.entries()) {
    options.signal?.throwIfAborted();
    options.onProgress?.({ phase: "searching", mode, done, total: queries.length });
    const started = performance.now();
    const result = await index.search(query.text, { mode, k: options.searchK, signal: options.signal });
    const latencyMs = performance.now() - started;
    latencies.push(latencyMs);
    // search() falls back to lexical when vectors are unavailable: that is not this mode's result.
    if (result.mode !== mode)
      return {
        mode,
        status: "skipped",
        reason: result.notices[0]?.message ?? `${mode} search is not available for this index`,
      };
    const ranking: string[] = [];
    for (const hit of result.hits) {
      const id = options.idsByFile.get(path.basename(hit.path));
      if (id !== undefined) ranking.push(id);
    }
    metrics.add(ranking, query.judgments);
    if (options.perQuery) {
      const top = [...new Set(ranking)].slice(0, 10);
      perQuery.push({
        id: query.id,
        top,
        ndcgAt10: ndcgAt(top, query.judgments, 10),
        reciprocalRank: reciprocalRankAt(top, query.judgments, 10),
        latencyMs,
      });
    }
  }
  options.onProgress?.({ phase: "searching", mode, done: queries.length, total: queries.length });
  const report: EvalModeReport = {
    mode,
    status: "completed",
    queries: metrics.queries,
    metrics: metrics.result(),
    latencyMs: summarizeLatency(latencies),
  };
  return options.perQuery ? { ...report, perQuery } : report;
}

/** Nearest-rank percentiles and the mean. */
function summarizeLatency(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { p50: percentile(50), p95: percentile(95), mean };
}

function summarizeQrels(
  qrels: Qrels,
  queries: Map<string, string>,
  corpusIds: Set<string>,
): Omit<EvalReport["qrels"], "file"> {
  let judgments = 0;
  let relevant = 0;
  let unknownQueries = 0;
  let unknownDocuments = 0;
  for (const [queryId, judged] of qrels) {
    if (!queries.has(queryId)) unknownQueries++;
    for (const [documentId, grade] of judged) {
      judgments++;
      if (grade > 0) {
        relevant++;
        if (!corpusIds.has(documentId)) unknownDocuments++;
      }
    }
  }
  return { judgments, relevant, unknownQueries, unknownDocuments };
}
