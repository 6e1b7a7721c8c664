import { describe, expect, it } from "vitest";
import { MetricAccumulator, ndcgAt, recallAt, reciprocalRankAt } from "../../src/eval/retrieval-metrics.js";

const judged = (entries: Record<string, number>) => new Map(Object.entries(entries));
/** Ten unjudged ids, to push a document below rank 10. */
const filler = Array.from({ length: 10 }, (_, index) => `x${index}`);

describe("ndcgAt", () => {
  it("uses the grade as a linear gain and log2(rank + 1) as the discount", () => {
    // DCG = 0/log2(2) + 1/log2(3) + 2/log2(4) = 1.63093; ideal = 2/log2(2) + 1/log2(3) = 2.63093.
    expect(ndcgAt(["c", "b", "a", "x"], judged({ a: 2, b: 1, c: 0 }), 10)).toBeCloseTo(0.619906, 6);
  });

  it("is linear, not exponential, in the grade (trec_eval's ndcg_cut, as BEIR reports it)", () => {
    // Linear: (1 + 3/log2(3)) / (3 + 1/log2(3)) = 0.79671; with 2^grade − 1 gains it would be 0.70981.
    expect(ndcgAt(["b", "a"], judged({ a: 3, b: 1 }), 10)).toBeCloseTo(0.796708, 6);
  });

  it("takes the ideal from every judged relevant document, retrieved or not", () => {
    // One of three relevant documents, at rank 1: 1 / (1 + 1/log2(3) + 1/log2(4)).
    expect(ndcgAt(["a"], judged({ a: 1, b: 1, c: 1 }), 10)).toBeCloseTo(0.469279, 6);
  });

  it("counts neither documents below the cutoff nor ideal gains beyond it", () => {
    expect(ndcgAt([...filler, "a"], judged({ a: 1 }), 10)).toBe(0);
    const twelve = Array.from({ length: 12 }, (_, index) => `r${index}`);
    expect(ndcgAt(twelve, judged(Object.fromEntries(twelve.map((id) => [id, 1]))), 10)).toBe(1);
  });

  it("gives a perfect score to any order of documents with equal grades", () => {
    const grades = judged({ a: 2, b: 1, c: 1 });
    expect(ndcgAt(["a", "b", "c"], grades, 10)).toBe(1);
    expect(ndcgAt(["a", "c", "b"], grades, 10)).toBe(1);
  });

  it("treats negative grades as no gain", () => {
    expect(ndcgAt(["a", "b"], judged({ a: -1, b: 1 }), 10)).toBeCloseTo(0.63093, 6);
  });

  it("is 0 for a query without a relevant document", () => {
    expect(ndcgAt(["a"], judged({ a: 0 }), 10)).toBe(0);
  });
});

describe("reciprocalRankAt", () => {
  it("is 1 / the rank of the first relevant document", () => {
    expect(reciprocalRankAt(["x", "y", "b", "a"], judged({ a: 2, b: 1 }), 10)).toBeCloseTo(1 / 3, 12);
  });

  it("ignores documents judged not relevant (grade 0)", () => {
    expect(reciprocalRankAt(["z", "a"], judged({ z: 0, a: 1 }), 10)).toBe(0.5);
  });

  it("is 0 when the first relevant document is below the cutoff", () => {
    expect(reciprocalRankAt([...filler, "a"], judged({ a: 1 }), 10)).toBe(0);
    expect(reciprocalRankAt([...filler, "a"], judged({ a: 1 }), 11)).toBeCloseTo(1 / 11, 12);
  });
});

describe("recallAt", () => {
  it("divides the relevant documents found in the first k by all relevant documents", () => {
    const grades = judged({ a: 1, b: 2, c: 1, n: 0 });
    const ranking = ["a", "n", "x", "b", "y", "c"];
    expect(recallAt(ranking, grades, 1)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(ranking, grades, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranking, grades, 100)).toBe(1);
  });

  it("is 0 for a query without a relevant document", () => {
    expect(recallAt(["a"], judged({ a: 0 }), 10)).toBe(0);
  });
});

describe("rankings with repeated documents and ties", () => {
  it("counts a document listed twice at its first position only, and the next document moves up", () => {
    const grades = judged({ a: 1, b: 1 });
    const ranking = ["x", "a", "a", "b"];
    expect(recallAt(ranking, grades, 3)).toBe(1);
    // b is third once the repeat is dropped: (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3)).
    expect(ndcgAt(ranking, grades, 3)).toBeCloseTo(0.693426, 6);
    expect(reciprocalRankAt(["a", "a"], grades, 10)).toBe(1);
  });

  it("scores the order given: equal search scores are not re-sorted by document id (as trec_eval would)", () => {
    const grades = judged({ a: 1 });
    expect(reciprocalRankAt(["z", "a"], grades, 10)).toBe(0.5);
    expect(reciprocalRankAt(["a", "z"], grades, 10)).toBe(1);
  });
});

describe("MetricAccumulator", () => {
  it("averages over the queries with a relevant document and counts the others as skipped", () => {
    const metrics = new MetricAccumulator([1, 10]);
    expect(metrics.add(["a", "b"], judged({ a: 1, b: 1 }))).toBe(true); // perfect
    expect(metrics.add(["x"], judged({ x: 0 }))).toBe(false); // no relevant judgment: left out
    expect(metrics.add([...filler, "c"], judged({ c: 2 }))).toBe(true); // found below rank 10
    expect(metrics.add(["y", "d"], judged({ d: 1 }))).toBe(true); // second
    expect(metrics.queries).toBe(3);
    expect(metrics.skipped).toBe(1);
    const result = metrics.result();
    // recall@1: (1/2 + 0 + 0) / 3; recall@10: (1 + 0 + 1) / 3.
    expect(result.recall["1"]).toBeCloseTo(1 / 6, 12);
    expect(result.recall["10"]).toBeCloseTo(2 / 3, 12);
    expect(Object.keys(result.recall)).toEqual(["1", "10"]);
    // MRR@10: (1 + 0 + 1/2) / 3; nDCG@10: (1 + 0 + 1/log2(3)) / 3.
    expect(result.mrrAt10).toBeCloseTo(0.5, 12);
    expect(result.ndcgAt10).toBeCloseTo((1 + 0.63093) / 3, 6);
  });

  it("reports zeros before any query was scored", () => {
    const metrics = new MetricAccumulator([10]);
    metrics.add([], judged({ a: 0 }));
    expect(metrics.result()).toEqual({ recall: { "10": 0 }, mrrAt10: 0, ndcgAt10: 0 });
  });
});
