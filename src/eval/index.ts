/** Retrieval evaluation on BEIR-format data sets: readers, metrics and `runEval`. */
export { runEval, defaultEvalCutoffs } from "./run-eval.js";
export type { EvalModeReport, EvalOptions, EvalProgress, EvalQueryResult, EvalReport, LatencySummary, RankingMetrics } from "./types.js";
export { EvalInputError } from "./eval-input-error.js";
export { readBeirCorpus, readBeirQrels, readBeirQueries, type BeirDocument, type Qrels } from "./read-beir.js";
export { MetricAccumulator, ndcgAt, recallAt, reciprocalRankAt, type Judgments } from "./retrieval-metrics.js";
