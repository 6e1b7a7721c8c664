import type { RetryNotice, RetryPolicy } from "../retry.js";
import type {
  BatchEmbedder,
  ChatModel,
  ContextCacheService,
  Embedder,
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
}

/** Wires the Gemini parts on one client; the batch embedder and caches only where the native API exists. */
export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  const client = new GeminiClient(options);
  const embedder = createGeminiEmbedder(client, { model: options.embeddingModel, dimensions: options.dimensions });
  const chat = createGeminiChat(client, { model: options.chatModel });
  return {
    client,
    embedder,
    chat,
    describer: createGeminiMediaDescriber(client, options.mediaModel ?? chat.model),
    listModels: (listOptions = {}) => listServiceModels(client, listOptions.signal),
    ...(client.hasNative
      ? { batch: createGeminiBatchEmbedder(client, embedder.config), caches: createGeminiContextCaches(client) }
      : {}),
  };
}
