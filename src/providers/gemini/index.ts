import type { RetryNotice, RetryPolicy } from "../retry.js";
import type {
  BatchEmbedder,
  ChatModel,
  ContextCacheService,
  Embedder,
  EmbeddingPairing,
  MediaDescriber,
  ServiceModel,
} from "../types.js";
import { createGeminiBatchEmbedder } from "./batch-embedder.js";
import { createGeminiContextCaches } from "./caches.js";
import { createGeminiChat } from "./chat.js";
import { GeminiClient } from "./client.js";
import { createGeminiEmbedder } from "./embedder.js";
import { createGeminiMediaDescriber } from "./media.js";
import { listServiceModels } from "./models.js";

// Only what callers outside the provider use: the composition root (open-index.ts) and the public
// defaults. Everything else is imported from its own module.
export { defaultChatModel } from "./chat.js";
export { defaultDimensions, defaultEmbeddingModel } from "./embedder.js";
export { defaultGeminiBaseURL } from "./endpoints.js";

export interface GeminiProviderOptions {
  apiKey: string;
  baseURL?: string;
  embeddingModel?: string;
  dimensions?: number;
  /** How documents and queries are embedded (e.g. what an index recorded). @default the model's */
  pairing?: EmbeddingPairing;
  /** Whether the model's default pairing may use task types (see GeminiEmbedderOptions). @default true */
  taskTypes?: boolean;
  chatModel?: string;
  /** Model that captions images and transcribes audio. @default the chat model */
  mediaModel?: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
  /** How retries wait (tests move an emulator clock instead). @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The Gemini parts gemindex needs, sharing one client. */
export interface GeminiProvider {
  client: GeminiClient;
  embedder: Embedder;
  chat: ChatModel;
  /** Batch API embeddings with the same configuration as `embedder`; only where Gemini's native Files API exists. */
  batch?: BatchEmbedder;
  /** Image captions and audio transcripts. */
  describer: MediaDescriber;
  /** Context caches (cachedContents); only where Gemini's native API exists. */
  caches?: ContextCacheService;
  /** The models the key can use, as the service lists them (one or more requests). */
  listModels(options?: { signal?: AbortSignal }): Promise<ServiceModel[]>;
  /**
   * The same provider (one client) with documents and queries embedded under `pairing` (the
   * embedder and batch embedder change, nothing else). Throws NO_NATIVE_API for task types on a
   * base URL without Gemini's native endpoints.
   */
  withPairing(pairing: EmbeddingPairing): GeminiProvider;
}

/** Wires the Gemini parts on one client; the batch embedder and caches only where the native API exists. */
export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  const client = new GeminiClient(options);
  const chat = createGeminiChat(client, { model: options.chatModel });
  const describer = createGeminiMediaDescriber(client, options.mediaModel ?? chat.model);
  const caches = client.hasNative ? createGeminiContextCaches(client) : undefined;
  const build = (pairing: EmbeddingPairing | undefined): GeminiProvider => {
    const embedder = createGeminiEmbedder(client, {
      model: options.embeddingModel,
      dimensions: options.dimensions,
      pairing,
      taskTypes: options.taskTypes,
    });
    return {
      client,
      embedder,
      chat,
      describer,
      listModels: (listOptions = {}) => listServiceModels(client, listOptions.signal),
      withPairing: build,
      ...(client.hasNative ? { batch: createGeminiBatchEmbedder(client, embedder.config) } : {}),
      ...(caches ? { caches } : {}),
    };
  };
  return build(options.pairing);
}
