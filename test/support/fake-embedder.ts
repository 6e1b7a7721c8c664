import type { Embedder, EmbedResult } from "../../src/providers/types.js";

export interface FakeEmbedderCall {
  texts: string[];
}

/**
 * An in-process Embedder for stage tests: each call is answered by the next scripted step
 * (a function returning vectors, or an error to throw). An unscripted call fails the test.
 */
export function createFakeEmbedder(options: {
  dimensions?: number;
  limits?: Partial<Embedder["limits"]>;
  script: Array<(texts: string[]) => Promise<EmbedResult> | EmbedResult>;
}) {
  const dimensions = options.dimensions ?? 4;
  const calls: FakeEmbedderCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const embedder: Embedder = {
    config: {
      provider: "fake",
      model: "fake-embedding",
      dimensions,
      document: { kind: "plain" },
      query: { kind: "plain" },
    },
    limits: { maxInputsPerRequest: 100, maxInputTokens: 2048, maxRequestTokens: 1_000_000, ...options.limits },
    async embedDocuments(texts) {
      const step = options.script[calls.length];
      calls.push({ texts });
      if (!step) throw new Error(`unscripted embedDocuments call #${calls.length} with ${texts.length} inputs`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await step(texts);
      } finally {
        inFlight--;
      }
    },
    async embedQuery() {
      throw new Error("unscripted embedQuery");
    },
  };
  return {
    embedder,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** A unit vector per text, derived from its length (enough to tell results apart). */
export function vectorsFor(texts: string[], dimensions = 4): EmbedResult {
  return {
    vectors: texts.map((text) => {
      const vector = new Float32Array(dimensions);
      vector[text.length % dimensions] = 1;
      return vector;
    }),
  };
}

/** A promise with its resolve exposed, to release scripted calls in a chosen order. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
