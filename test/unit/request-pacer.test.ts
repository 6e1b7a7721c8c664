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
  it("starts at 4 and grows by one per request that succeeds unpaced, up to the cap", () => {
    const limit = new AdaptiveConcurrency({ max: 10 });
    expect(limit.current).toBe(4);
    for (let i = 0; i < 3; i++) limit.succeeded({ paced: true });
    expect(limit.current).toBe(4);
    for (let i = 0; i < 3; i++) limit.succeeded();
    expect(limit.current).toBe(7);
    for (let i = 0; i < 20; i++) limit.succeeded();
    expect(limit.current).toBe(10);
  });

  it("halves once per window of quota 429s, then grows by one per window", () => {
    const limit = new AdaptiveConcurrency({ start: 16 });
    const seen: number[] = [];
    limit.follow((value) => seen.push(value));
    const inFlight = Array.from({ length: 16 }, () => limit.started());
    // Every request in flight is refused: they were sent at the old rate, one halving is enough.
    for (const ticket of inFlight) limit.quotaLimited(ticket);
    expect(limit.current).toBe(8);
    // A request sent after the halving and refused again halves again.
    limit.quotaLimited(limit.started());
    expect(limit.current).toBe(4);
    for (let i = 0; i < 3; i++) limit.succeeded();
    expect(limit.current).toBe(4);
    limit.succeeded();
    expect(limit.current).toBe(5);
    expect(seen).toEqual([8, 4, 5]);
  });

  it("never drops below one nor rises above what the quota admits", () => {
    let admitted: number | undefined;
    const limit = new AdaptiveConcurrency({ max: 32, ceiling: () => admitted });
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.current).toBe(32);
    for (let i = 0; i < 6; i++) limit.quotaLimited(limit.started());
    expect(limit.current).toBe(1);
    for (let i = 0; i < 100; i++) limit.succeeded();
    // One per window after a halving: 1 + 2 + … + 13 = 91 successes reach 14.
    expect(limit.current).toBe(14);
    admitted = 8;
    expect(limit.current).toBe(8);
    limit.succeeded();
    expect(limit.current).toBe(8);
  });
});
