/** Retrieval evaluation on BEIR-format data sets: readers, metrics and `runEval`. */

export { EvalInputError } from "./eval-input-error.js";
export { type BeirDocument, type Qrels, readBeirCorpus, readBeirQrels, readBeirQueries } from "./read-beir.js";
export { type Judgments, MetricAccumulator, ndcgAt, recallAt, reciprocalRankAt } from "./retrieval-metrics.js";
export { defaultEvalCutoffs, runEval } from "./run-eval.js";
export type {
  EvalModeReport,
  EvalOptions,
  EvalProgress,
  EvalQueryResult,
  EvalReport,
  LatencySummary,
  RankingMetrics,
} from "./types.js";
