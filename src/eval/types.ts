import type { ChunkOptions } from "../chunking/types.js";
import type { IndexOptions, IndexProgress, IndexReport } from "../indexing/types.js";
import type { Notice } from "../notices.js";
import type { OpenIndexOptions } from "../open-index.js";
import type { SearchMode } from "../retrieval/types.js";
import type { RankingMetrics } from "./retrieval-metrics.js";

export type { RankingMetrics };

/** What {@link runEval} needs: a BEIR-format data set and a folder to work in. */
export interface EvalOptions {
  /** BEIR `corpus.jsonl`: `{"_id", "title", "text"}` per line. */
  corpus: string;
  /** BEIR `queries.jsonl`: `{"_id", "text"}` per line. */
  queries: string;
  /** BEIR qrels TSV: a header line, then `query-id<TAB>corpus-id<TAB>score`. */
  qrels: string;
  /**
   * A folder the evaluation owns: the corpus as Markdown files (`docs/`) and the index built from
   * them. Reused between runs: an unchanged corpus is not indexed (nor embedded) again.
   */
  work: string;
  /**
   * Retrieval modes to measure. Modes that need an API key are reported as skipped without one.
   * @default ["lexical", "vector", "hybrid"]
   */
  modes?: SearchMode[];
  /** Cutoffs of recall@k (MRR and nDCG are always @10). @default [1, 5, 10, 100] */
  k?: number[];
  /**
   * How documents are chunked. A change re-indexes the corpus.
   * @default the library's defaults, so the evaluation measures what users get
   */
  chunking?: ChunkOptions;
  /**
   * How to open the index: API key (or `env`), base URL, embedding model, dimensions, retries.
   * `uri` and `cwd` are the evaluation's own.
   */
  open?: Omit<OpenIndexOptions, "uri" | "cwd">;
  /** Indexing knobs passed to `index()`. `batch` defaults to "never": an evaluation cannot wait for a Batch API job. */
  indexing?: Pick<IndexOptions, "concurrency" | "rpm" | "tpm" | "batch" | "batchThreshold">;
  /** Include each query's top documents and scores in the report (`perQuery` of each mode). @default false */
  perQuery?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: EvalProgress) => void;
}

/** Progress of an evaluation, for a progress display. */
export type EvalProgress =
  | { phase: "reading" }
  | { phase: "materializing" }
  | { phase: "indexing"; index: IndexProgress }
  | { phase: "searching"; mode: SearchMode; done: number; total: number };

/** Query latency of one mode, in milliseconds (wall time of each `search()` call). */
export interface LatencySummary {
  p50: number;
  p95: number;
  mean: number;
}

/** The outcome of one retrieval mode. */
export type EvalModeReport =
  | {
      mode: SearchMode;
      status: "completed";
      /** Queries scored (those with at least one relevant document). */
      queries: number;
      metrics: RankingMetrics;
      latencyMs: LatencySummary;
      /** With `perQuery`: every scored query, in the order of the queries file. */
      perQuery?: EvalQueryResult[];
    }
  | {
      mode: SearchMode;
      status: "skipped";
      /** Why it could not run ("needs GEMINI_API_KEY"). */
      reason: string;
    };

/** How one query fared in one mode. */
export interface EvalQueryResult {
  id: string;
  /** The first 10 documents, best first (each document once). */
  top: string[];
  ndcgAt10: number;
  /** 1 / rank of the first relevant document within the first 10, else 0. */
  reciprocalRank: number;
  latencyMs: number;
}

/** What {@link runEval} measured. */
export interface EvalReport {
  work: string;
  corpus: {
    file: string;
    documents: number;
    /** Markdown files written this run (new or changed documents). */
    written: number;
    removed: number;
  };
  queries: {
    file: string;
    /** Queries in the file. */
    total: number;
    /** Queries run: those with a judgment of a relevant document. */
    evaluated: number;
    /** Queries with no line in the qrels (not run, as in BEIR). */
    unjudged: number;
    /** Queries whose judgments are all ≤ 0: not run, and left out of the averages. */
    withoutRelevant: number;
  };
  qrels: {
    file: string;
    /** Judged (query, document) pairs. */
    judgments: number;
    /** Judgments with a score above 0. */
    relevant: number;
    /** Query ids of the qrels that the queries file lacks (their judgments are unused). */
    unknownQueries: number;
    /** Judged relevant documents that are not in the corpus (they still count in recall and the ideal DCG). */
    unknownDocuments: number;
  };
  /** Recall cutoffs. */
  k: number[];
  /**
   * Hits requested from `search()` per query: enough documents for the largest cutoff after merging a document's
   * chunks.
   */
  searchK: number;
  /** The index run that brought the index up to date (nothing to do when the corpus is unchanged). */
  index: IndexReport;
  modes: EvalModeReport[];
  /** Things to know about the data or the run. */
  notices: Notice[];
  durationMs: number;
}
