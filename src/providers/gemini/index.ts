import type { RetryNotice, RetryPolicy } from "../retry.js";
import type { BatchEmbedder, ChatModel, ContextCacheService, Embedder, MediaDescriber } from "../types.js";
import { createGeminiBatchEmbedder } from "./batch-embedder.js";
import { createGeminiContextCaches } from "./caches.js";
import { createGeminiChat } from "./chat.js";
import { GeminiClient } from "./client.js";
import { createGeminiEmbedder } from "./embedder.js";
import { createGeminiMediaDescriber } from "./media.js";

export { createGeminiBatchEmbedder, type GeminiBatchEmbedderOptions } from "./batch-embedder.js";
export { batchPath, batchStateOf, cancelBatch, createBatch, getBatch, listBatches, toBatchJobInfo } from "./batches.js";
export {
  CacheNotFoundError,
  CacheTooSmallError,
  cacheMinTokens,
  cacheName,
  createCachedContent,
  createGeminiContextCaches,
  deleteCachedContent,
  getCachedContent,
  isCacheGone,
  listCachedContents,
  minCacheTokens,
  readCacheTooSmall,
  updateCachedContentTtl,
} from "./caches.js";
export { createGeminiChat, defaultChatModel } from "./chat.js";
export { GeminiClient, type GeminiClientOptions } from "./client.js";
export { createGeminiEmbedder, defaultDimensions, defaultEmbeddingModel } from "./embedder.js";
export { defaultGeminiBaseURL, deriveEndpoints } from "./endpoints.js";
export {
  defaultUploadChunkSize,
  deleteFile,
  downloadFile,
  type GeminiFile,
  type UploadFileOptions,
  uploadFile,
} from "./files.js";

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
}

export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  const client = new GeminiClient(options);
  const embedder = createGeminiEmbedder(client, { model: options.embeddingModel, dimensions: options.dimensions });
  const chat = createGeminiChat(client, { model: options.chatModel });
  return {
    client,
    embedder,
    chat,
    describer: createGeminiMediaDescriber(client, options.mediaModel ?? chat.model),
    ...(client.hasNative
      ? { batch: createGeminiBatchEmbedder(client, embedder.config), caches: createGeminiContextCaches(client) }
      : {}),
  };
}
