import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency } from "../../src/embedding/adaptive-concurrency.js";
import { RequestPacer } from "../../src/embedding/request-pacer.js";

/** A pacer on a manual clock: `sleep` advances time instead of waiting. */
function pacedStarts(options: { rpm?: number; tpm?: number }, requests: number[]) {
  let now = 0;
  const pacer = new RequestPacer({
    ...options,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  return (async () => {
    const starts: number[] = [];
    for (const tokens of requests) {
      await pacer.acquire(tokens);
      starts.push(now);
    }
    return starts;
  })();
}

describe("RequestPacer", () => {
  it("spaces requests evenly so no minute holds more than the rpm", async () => {
    const starts = await pacedStarts({ rpm: 120 }, Array(5).fill(10));
    // 500 ms apart, plus the 1% safety margin.
    expect(starts).toEqual([0, 505, 1010, 1515, 2020]);
  });

  it("spaces by tokens when the tpm is the tighter limit", async () => {
    const starts = await pacedStarts({ rpm: 1000, tpm: 60_000 }, [1000, 2000, 1000]);
    // 1000 tokens reserve 1 s (+1%) of a 60,000-tokens-per-minute budget.
    expect(starts).toEqual([0, 1010, 3030]);
  });

  it("does not wait at all without limits", async () => {
    expect(await pacedStarts({}, [1, 1, 1])).toEqual([0, 0, 0]);
  });
});

describe("AdaptiveConcurrency", () => {
  it("halves on a rate limit and grows back by one after clean requests", () => {
    const limit = new AdaptiveConcurrency(8);
    const seen: number[] = [];
    limit.follow((value) => seen.push(value));
    limit.rateLimited();
    limit.rateLimited();
    expect(limit.current).toBe(2);
    for (let i = 0; i < 4; i++) limit.succeeded();
    expect(limit.current).toBe(3);
    expect(seen).toEqual([4, 2, 3]);
  });

  it("never drops below one nor grows above the maximum", () => {
    const limit = new AdaptiveConcurrency(2);
    for (let i = 0; i < 5; i++) limit.rateLimited();
    expect(limit.current).toBe(1);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.current).toBe(2);
  });
});
