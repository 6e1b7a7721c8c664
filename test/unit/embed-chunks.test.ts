import { describe, expect, it } from "vitest";
import { type EmbedItem, embedChunks } from "../../src/embedding/embed-chunks.js";
import { AuthenticationError, ProviderError } from "../../src/errors.js";
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
    expect(batches.flat().every((item) => item.vector?.length === 4)).toBe(true);
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

  it(`splits an input above the per-input limit into parts, nothing dropped, \
and returns one combined unit vector`, async () => {
    const fake = createFakeEmbedder({ limits: { maxInputTokens: 100 }, script: [(texts) => vectorsFor(texts)] });
    const text = Array.from({ length: 60 }, (_, i) => `Sentence ${i} says something.`).join(" ");
    async function* one(): AsyncGenerator<EmbedItem<string>> {
      yield { text, tokens: 400, tag: "long" };
    }
    const item = (await collect(embedChunks(one(), fake.embedder))).flat()[0];
    const sent = fake.calls[0]!.texts;
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.join("")).toBe(text);
    // 90% of 100 tokens, at most one token per 3 characters.
    for (const part of sent) expect(part.length).toBeLessThanOrEqual(270);
    expect(item!.tag).toBe("long");
    expect(Math.hypot(...item!.vector!)).toBeCloseTo(1, 5);
  });

  it("sends the text with layout padding collapsed while the item keeps its text", async () => {
    const fake = createFakeEmbedder({ script: [(texts) => vectorsFor(texts)] });
    const table = "| Name      | Value     |\n|-----------|-----------|\n| depth     | 12        |";
    async function* one(): AsyncGenerator<EmbedItem<string>> {
      yield { text: table, tokens: 30, tag: "table" };
    }
    const item = (await collect(embedChunks(one(), fake.embedder))).flat()[0];
    expect(fake.calls[0]!.texts).toEqual(["| Name | Value |\n|---|---|\n| depth | 12 |"]);
    expect(item!.text).toBe(table);
  });
});

describe("embedChunks with a refused input", () => {
  const refusal = (message = "Request contains content that cannot be embedded.") =>
    new ProviderError(`Gemini embeddings request failed (400 INVALID_ARGUMENT: ${message})`, {
      status: 400,
      googleStatus: "INVALID_ARGUMENT",
    });
  const refusing = (bad: string) => (texts: string[]) => {
    if (texts.includes(bad)) throw refusal();
    return vectorsFor(texts);
  };

  it("bisects a refused request so only the bad input fails, with the service's reason", async () => {
    const fake = createFakeEmbedder({ script: Array.from({ length: 9 }, () => refusing("text 5")) });
    const items = (await collect(embedChunks(itemsOf(8), fake.embedder))).flat();
    expect(items.filter((item) => item.vector).map((item) => item.tag)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    const failed = items.filter((item) => item.failure);
    expect(failed.map((item) => [item.tag, item.failure!.reason])).toEqual([
      [5, "400 INVALID_ARGUMENT: Request contains content that cannot be embedded."],
    ]);
    // Halves, depth first: 8 → 4 (ok) + 4 → 2 → 1 (ok) + 1 (refused), then the other 2: 7 requests, not 8.
    expect(fake.calls.map((call) => call.texts.length)).toEqual([8, 4, 4, 2, 1, 1, 2]);
  });

  it("fails the input the service names (requests[i]) and resends the others at once", async () => {
    const fake = createFakeEmbedder({
      script: [
        () => {
          throw refusal("* BatchEmbedContentsRequest.requests[2].content: blocked");
        },
        (texts) => vectorsFor(texts),
      ],
    });
    const items = (await collect(embedChunks(itemsOf(4), fake.embedder))).flat();
    expect(items.find((item) => item.failure)?.tag).toBe(2);
    expect(fake.calls[1]!.texts).toEqual(["text 0", "text 1", "text 3"]);
  });

  it("splits an input the service calls too long and averages its parts, never failing it", async () => {
    const long = Array.from({ length: 40 }, (_, i) => `Line ${i} of a long section.`).join("\n");
    const fake = createFakeEmbedder({
      script: Array.from({ length: 6 }, () => (texts: string[]) => {
        if (texts.some((text) => text.length > long.length / 3))
          throw refusal("The input token count (2095) exceeds the maximum number of tokens allowed (2048).");
        return vectorsFor(texts);
      }),
    });
    async function* one(): AsyncGenerator<EmbedItem<string>> {
      yield { text: long, tokens: 300, tag: "long" };
    }
    const item = (await collect(embedChunks(one(), fake.embedder))).flat()[0];
    expect(item!.failure).toBeUndefined();
    const last = fake.calls.at(-1)!.texts;
    expect(last.join("")).toBe(long);
    expect(last.length).toBeGreaterThanOrEqual(3);
    // Cut at line boundaries.
    for (const part of last.slice(0, -1)) expect(part.endsWith("\n")).toBe(true);
  });

  it("stops the stream on a run-level fault instead of failing every input", async () => {
    const fake = createFakeEmbedder({
      script: [
        () => {
          throw new AuthenticationError("The API key was rejected (400 INVALID_ARGUMENT: API key not valid.)", {
            status: 400,
          });
        },
      ],
    });
    await expect(collect(embedChunks(itemsOf(4), fake.embedder))).rejects.toThrow(/API key/);
    expect(fake.calls).toHaveLength(1);
  });
});
