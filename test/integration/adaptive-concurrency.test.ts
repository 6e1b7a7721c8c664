import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AdaptiveConcurrency } from "../../src/embedding/adaptive-concurrency.js";
import { type EmbedItem, embedChunks } from "../../src/embedding/embed-chunks.js";
import { GeminiClient } from "../../src/providers/gemini/client.js";
import { createGeminiEmbedder } from "../../src/providers/gemini/embedder.js";
import type { Embedder } from "../../src/providers/types.js";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { EMBEDDING_PATH, embeddingRequests, mostInFlight, requestInputs } from "../support/embedding-requests.js";
import { deferred } from "../support/fake-embedder.js";
import { useEmulator } from "../support/use-emulator.js";

let emulator: Emulator;
useEmulator((started) => (emulator = started));
beforeEach(() => emulator.reset());
afterEach(() => emulator.release());

/**
 * The real Gemini embedder against the emulator, one input per request (so that a few dozen
 * inputs make a few dozen requests). Retry waits move the emulator's clock, then wait for
 * `retries` (the test decides when waiting requests try again).
 */
function oneInputEmbedder(retries: Promise<void> = Promise.resolve()): Embedder {
  const client = new GeminiClient({
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
    sleep: async (ms) => {
      emulator.advanceTime(ms);
      await retries;
    },
  });
  const embedder = createGeminiEmbedder(client);
  return { ...embedder, limits: { ...embedder.limits, maxInputsPerRequest: 1 } };
}

async function* itemsOf(count: number): AsyncGenerator<EmbedItem<number>> {
  for (let i = 0; i < count; i++) yield { text: `passage ${i} about lighthouses`, tokens: 8, tag: i };
}

async function embedAll(embedder: Embedder, count: number, adaptive: AdaptiveConcurrency): Promise<number[]> {
  const tags: number[] = [];
  for await (const batch of embedChunks(itemsOf(count), embedder, { adaptive }))
    for (const item of batch) if (item.vector) tags.push(item.tag);
  return tags.sort((a, b) => a - b);
}

/** Requests the emulator holds unanswered. */
const held = () => embeddingRequests(emulator).filter((request) => request.status === 0);

/** Resolves once `condition` holds (checked on every turn of the event loop). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("concurrency of embedding requests", () => {
  it("starts at 4 and grows while requests succeed, up to the cap, as the service sees it", async () => {
    emulator.hold(EMBEDDING_PATH);
    const adaptive = new AdaptiveConcurrency({ max: 12 });
    const run = embedAll(oneInputEmbedder(), 60, adaptive);
    const waves: number[] = [];
    for (const expected of [4, 8, 12, 12]) {
      await until(() => held().length >= expected);
      waves.push(held().length);
      // Answers the requests held so far and holds the ones after them.
      emulator.hold(EMBEDDING_PATH);
    }
    emulator.release();
    expect(await run).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Each answered request let one more start: 4 in flight, then 8, then the cap.
    expect(waves).toEqual([4, 8, 12, 12]);
    expect(mostInFlight(embeddingRequests(emulator))).toBe(12);
  });

  /** Starts 40 one-input requests 8 at a time and answers the 8 in flight with 429s (2 s RetryInfo). */
  async function refuseFirstWindow(quotaFailure: boolean, retries: Promise<void>) {
    const adaptive = new AdaptiveConcurrency({ start: 8, max: 8 });
    const changes: number[] = [];
    adaptive.follow((value) => changes.push(value));
    emulator.hold(EMBEDDING_PATH);
    const run = embedAll(oneInputEmbedder(retries), 40, adaptive);
    await until(() => held().length === 8);
    emulator.inject({ path: EMBEDDING_PATH, status: 429, retryDelay: "2s", quotaFailure, times: 8 });
    const first = embeddingRequests(emulator).length;
    emulator.hold(EMBEDDING_PATH);
    await until(() =>
      embeddingRequests(emulator)
        .slice(0, first)
        .every((request) => request.status === 429),
    );
    const refused = new Set(embeddingRequests(emulator).slice(0, first).flatMap(requestInputs));
    const isRetry = (request: LoggedRequest) => requestInputs(request).some((input) => refused.has(input));
    return { adaptive, changes, run, first, isRetry };
  }

  it("halves once for a window of 429s naming a per-minute quota; those requests wait in their places", async () => {
    const retries = deferred();
    const { adaptive, changes, run, first, isRetry } = await refuseFirstWindow(true, retries.promise);
    // Eight quota 429s from one window: one halving.
    expect(changes).toEqual([4]);
    retries.resolve();
    await until(() => held().length === 8);
    // Nothing new went out while they waited: the next eight requests are the retried ones.
    expect(embeddingRequests(emulator).slice(first).every(isRetry)).toBe(true);
    // Once they are answered, the service sees the smaller window: 4, plus one for a window of successes.
    const second = embeddingRequests(emulator).length;
    emulator.hold(EMBEDDING_PATH);
    await until(() => held().length === 5);
    expect(embeddingRequests(emulator).slice(second)).toHaveLength(5);
    expect(changes).toEqual([4, 5]);
    emulator.release();
    expect(await run).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // It grows back one per window of successes, never past the cap.
    expect(Math.max(...changes, adaptive.current)).toBeLessThanOrEqual(8);
  });

  it("does not shrink on 429s without a quota (transient): others go out while those wait to retry", async () => {
    const retries = deferred();
    const { changes, run, first, isRetry } = await refuseFirstWindow(false, retries.promise);
    // While the refused eight wait, eight new requests take their places.
    await until(() => held().length === 8);
    expect(embeddingRequests(emulator).slice(first).some(isRetry)).toBe(false);
    retries.resolve();
    // The eight retried requests come on top (the window is over its size only while they catch up).
    await until(() => held().length === 16);
    expect(embeddingRequests(emulator).slice(first).filter(isRetry)).toHaveLength(8);
    emulator.release();
    expect(await run).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(changes).toEqual([]);
  });
});
