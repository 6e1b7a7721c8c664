/**
 * A local Gemini API emulator for tests: the OpenAI-compatible surface under `/v1beta/openai/`
 * plus the native Files, cachedContents, embedding and model endpoints, as strict as the real
 * service as Google documents it (https://ai.google.dev/gemini-api/docs/openai and the pages each
 * module cites). Listens on 127.0.0.1.
 *
 * @example
 * const emulator = await startEmulator();
 * const client = new OpenAI({ apiKey: emulator.apiKey, baseURL: emulator.baseURL, maxRetries: 0 });
 * // …
 * await emulator.close();
 */
import type { AddressInfo } from "node:net";
import { DEFAULT_API_KEY } from "./auth.js";
import { runBatch } from "./batch-runner.js";
import { BatchStore } from "./batches.js";
import { CacheStore } from "./caches.js";
import { Clock } from "./clock.js";
import { FaultQueue, pathMatches } from "./faults.js";
import { FileStore } from "./files.js";
import { RateLimiter } from "./limits.js";
import { createEmulatorServer } from "./server.js";
import type { EmulatorState } from "./state.js";
import type { Emulator, EmulatorOptions, Fault, LoggedRequest } from "./types.js";

export { defaultChatResponder } from "./chat/responder.js";
export { EMBEDDING_TIER_LIMITS, FREE_TIER_EMBEDDING_LIMITS } from "./limits.js";
export {
  CACHE_MIN_TOKENS,
  DEFAULT_CHAT_MODEL,
  DEFAULT_REASONING_EFFORTS,
  DEFAULT_THINKING_LEVELS,
  MODELS,
} from "./models.js";
export { countEmbeddingTokens, estimateTokens } from "./tokens.js";
export type {
  ChatRequestInfo,
  EmulatedToolCall,
  Emulator,
  EmulatorOptions,
  Fault,
  LoggedRequest,
  ModelLimits,
  QuotaTier,
} from "./types.js";
export {
  cosineSimilarity,
  embedParts,
  embedText,
  FULL_DIMENSIONS,
  TASK_TYPE_WEIGHT,
  toBase64Floats,
  tokenize,
} from "./vectors.js";

/** Start an emulator on 127.0.0.1 (random port unless `options.port`). Call `close()` when done. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = new Clock();
  const state: EmulatorState = {
    options: { ...options },
    clock,
    origin: "",
    embeddingRequests: 0,
    files: new FileStore(clock, () => state.options),
    caches: new CacheStore(clock),
    limits: new RateLimiter(clock, () => state.options),
    batches: new BatchStore(
      clock,
      () => state.options,
      (batch) => runBatch(batch, state),
    ),
  };
  const log: LoggedRequest[] = [];
  const faults = new FaultQueue();
  const server = createEmulatorServer(state, log, faults);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  state.origin = `http://127.0.0.1:${port}`;

  return {
    origin: state.origin,
    baseURL: `${state.origin}/v1beta/openai/`,
    apiKey: options.apiKeys?.[0] ?? DEFAULT_API_KEY,
    get options() {
      return state.options;
    },
    set options(next: EmulatorOptions) {
      state.options = next;
    },
    log,
    requests(filter = {}) {
      return log.filter(
        (entry) =>
          (filter.method === undefined || filter.method.toUpperCase() === entry.method) &&
          pathMatches(filter.path, entry.path),
      );
    },
    inject(fault: Fault) {
      faults.add(fault);
    },
    hold(path?: string | RegExp) {
      state.held?.release();
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      state.held = { path, released, release };
    },
    release() {
      state.held?.release();
      state.held = undefined;
    },
    advanceTime(ms: number) {
      clock.advance(ms);
    },
    now() {
      return clock.now();
    },
    completeBatch(id: string) {
      state.batches.complete(id);
    },
    failBatch(id: string, message?: string) {
      state.batches.fail(id, message);
    },
    reset() {
      log.length = 0;
      faults.clear();
      state.files.clear();
      state.batches.clear();
      state.caches.clear();
      state.limits.reset();
      state.embeddingRequests = 0;
      state.held?.release();
      state.held = undefined;
      clock.reset();
    },
    close() {
      state.held?.release();
      state.held = undefined;
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
