/**
 * Ranking metrics as BEIR reports them (through pytrec_eval, i.e. trec_eval): a ranking is a
 * list of document ids, best first; judgments map document ids to grades, and only a grade
 * above 0 is relevant. A document listed twice counts at its first position only.
 *
 * Ties: the ranking is scored in the order given — the order `search()` returned. trec_eval
 * re-sorts a run by score and breaks equal scores by document id, which would score an order
 * no user of gemindex ever sees.
 */

/** Relevance grades of one query: document id → grade (≤ 0: not relevant). */
export type Judgments = ReadonlyMap<string, number>;

/** The ranking without repeats, cut at `k`. */
function top(ranking: readonly string[], k: number): string[] {
  const seen = new Set<string>();
  for (const id of ranking) {
    if (seen.size >= k) break;
    seen.add(id);
  }
  return [...seen];
}

/** Grades above 0, highest first. */
function relevantGrades(judgments: Judgments): number[] {
  return [...judgments.values()].filter((grade) => grade > 0).sort((a, b) => b - a);
}

/** Number of relevant documents (grade > 0) among the judgments. */
export function countRelevant(judgments: Judgments): number {
  return relevantGrades(judgments).length;
}

/**
 * Recall@k: relevant documents in the first `k` ÷ all relevant documents of the query.
 * 0 when the query has no relevant document (trec_eval's value; averages leave such queries out).
 */
export function recallAt(ranking: readonly string[], judgments: Judgments, k: number): number {
  const relevant = countRelevant(judgments);
  if (relevant === 0) return 0;
  const found = top(ranking, k).filter((id) => (judgments.get(id) ?? 0) > 0).length;
  return found / relevant;
}

/** Reciprocal rank within the first `k`: 1 / rank of the first relevant document, 0 if none (BEIR's MRR@k). */
export function reciprocalRankAt(ranking: readonly string[], judgments: Judgments, k: number): number {
  const index = top(ranking, k).findIndex((id) => (judgments.get(id) ?? 0) > 0);
  return index < 0 ? 0 : 1 / (index + 1);
}

/**
 * nDCG@k as trec_eval's `ndcg_cut` computes it: the gain of a document is its grade (linear, not
 * 2^grade − 1), discounted by log2(rank + 1); the ideal ranks every judged relevant document of
 * the query — retrieved or not — by grade. 0 when the query has no relevant document.
 */
export function ndcgAt(ranking: readonly string[], judgments: Judgments, k: number): number {
  const ideal = relevantGrades(judgments)
    .slice(0, k)
    .reduce((sum, grade, index) => sum + grade / Math.log2(index + 2), 0);
  if (ideal === 0) return 0;
  const actual = top(ranking, k).reduce(
    (sum, id, index) => sum + Math.max(0, judgments.get(id) ?? 0) / Math.log2(index + 2),
    0,
  );
  return actual / ideal;
}

/** Averages over the queries that were scored. */
export interface RankingMetrics {
  /** Recall at each cutoff, keyed by the cutoff ("10": recall@10). */
  recall: Record<string, number>;
  /** Mean reciprocal rank within the first 10. */
  mrrAt10: number;
  /** Mean nDCG@10. */
  ndcgAt10: number;
}

/**
 * Accumulates per-query scores into means. Queries without a relevant judgment are not scored
 * (every metric is undefined for them) and are counted in `skipped` instead.
 */
export class MetricAccumulator {
  readonly cutoffs: readonly number[];
  #queries = 0;
  #skipped = 0;
  readonly #recall: number[];
  #mrr = 0;
  #ndcg = 0;

  /** @param cutoffs the k of each recall@k, all positive integers. */
  constructor(cutoffs: readonly number[]) {
    this.cutoffs = cutoffs;
    this.#recall = cutoffs.map(() => 0);
  }

  /** Scores one query; returns false (and counts it as skipped) when it has no relevant document. */
  add(ranking: readonly string[], judgments: Judgments): boolean {
    if (countRelevant(judgments) === 0) {
      this.#skipped++;
      return false;
    }
    this.#queries++;
    this.cutoffs.forEach((k, index) => {
      this.#recall[index]! += recallAt(ranking, judgments, k);
    });
    this.#mrr += reciprocalRankAt(ranking, judgments, 10);
    this.#ndcg += ndcgAt(ranking, judgments, 10);
    return true;
  }

  /** Queries scored so far. */
  get queries(): number {
    return this.#queries;
  }

  /** Queries passed over for having no relevant document. */
  get skipped(): number {
    return this.#skipped;
  }

  /** The means (all 0 before any query was scored). */
  result(): RankingMetrics {
    const mean = (sum: number) => (this.#queries === 0 ? 0 : sum / this.#queries);
    return {
      recall: Object.fromEntries(this.cutoffs.map((k, index) => [String(k), mean(this.#recall[index]!)])),
      mrrAt10: mean(this.#mrr),
      ndcgAt10: mean(this.#ndcg),
    };
  }
}
