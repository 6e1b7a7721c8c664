import { describe, expect, it } from "vitest";
import { type EmbedItem, embedChunks } from "../../src/embedding/embed-chunks.js";
import { createFakeEmbedder, deferred, vectorsFor } from "../support/fake-embedder.js";

async function* itemsOf(count: number, tokens = 10): AsyncGenerator<EmbedItem<number>> {
  for (let i = 0; i < count; i++) yield { text: `text ${i}`, tokens, tag: i };
}

async function collect<T>(iterable: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

describe("embedChunks", () => {
  it("splits 250 inputs into requests of at most 100 and returns every item with its vector", async () => {
    const fake = createFakeEmbedder({
      script: Array.from({ length: 3 }, () => (texts: string[]) => vectorsFor(texts)),
    });
    const batches = await collect(embedChunks(itemsOf(250), fake.embedder));
    expect(fake.calls.map((call) => call.texts.length)).toEqual([100, 100, 50]);
    const tags = batches
      .flat()
      .map((item) => item.tag)
      .sort((a, b) => a - b);
    expect(tags).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(batches.flat().every((item) => item.vector.length === 4)).toBe(true);
  });

  it("also closes a request at the per-request token budget", async () => {
    const fake = createFakeEmbedder({
      limits: { maxRequestTokens: 100 },
      script: Array.from({ length: 4 }, () => (texts: string[]) => vectorsFor(texts)),
    });
    await collect(embedChunks(itemsOf(10, 30), fake.embedder));
    expect(fake.calls.map((call) => call.texts.length)).toEqual([3, 3, 3, 1]);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    // Each call holds until the next one starts, so the window must really reach 2 (and never 3).
    const gates = Array.from({ length: 6 }, () => deferred());
    const fake = createFakeEmbedder({
      limits: { maxInputsPerRequest: 1 },
      script: gates.map((gate, i) => async (texts: string[]) => {
        gates[i - 1]?.resolve();
        if (i === gates.length - 1) gate.resolve();
        await gate.promise;
        return vectorsFor(texts);
      }),
    });
    await collect(embedChunks(itemsOf(6), fake.embedder, { concurrency: 2 }));
    expect(fake.maxInFlight).toBe(2);
    expect(fake.calls.length).toBe(6);
  });

  it("after a failed request starts no new one, yields the requests in flight, then throws", async () => {
    const slow = deferred();
    const fake = createFakeEmbedder({
      limits: { maxInputsPerRequest: 2 },
      script: [
        async (texts) => {
          await slow.promise;
          return vectorsFor(texts);
        },
        async () => {
          slow.resolve();
          throw new Error("quota gone");
        },
      ],
    });
    const received: number[] = [];
    await expect(
      (async () => {
        for await (const batch of embedChunks(itemsOf(10), fake.embedder, { concurrency: 2 }))
          received.push(...batch.map((item) => item.tag));
      })(),
    ).rejects.toThrow("quota gone");
    expect(received).toEqual([0, 1]);
    expect(fake.calls.length).toBe(2);
  });

  it("cuts an input above the per-input token limit before sending it", async () => {
    const fake = createFakeEmbedder({ limits: { maxInputTokens: 100 }, script: [(texts) => vectorsFor(texts)] });
    async function* one(): AsyncGenerator<EmbedItem<string>> {
      yield { text: "x".repeat(4000), tokens: 1000, tag: "long" };
    }
    await collect(embedChunks(one(), fake.embedder));
    expect(fake.calls[0]!.texts[0]!.length).toBe(360);
  });
});
