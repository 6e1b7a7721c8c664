import type { ChatModel, Embedder } from "../types.js";
import type { RetryNotice, RetryPolicy } from "../retry.js";
import { createGeminiChat } from "./chat.js";
import { GeminiClient } from "./client.js";
import { createGeminiEmbedder } from "./embedder.js";

export { GeminiClient, type GeminiClientOptions } from "./client.js";
export { createGeminiChat, defaultChatModel } from "./chat.js";
export { createGeminiEmbedder, defaultDimensions, defaultEmbeddingModel } from "./embedder.js";
export { deriveEndpoints, defaultGeminiBaseURL } from "./endpoints.js";

export interface GeminiProviderOptions {
  apiKey: string;
  baseURL?: string;
  embeddingModel?: string;
  dimensions?: number;
  chatModel?: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
}

/** The Gemini parts gemindex needs, sharing one client. */
export interface GeminiProvider {
  client: GeminiClient;
  embedder: Embedder;
  chat: ChatModel;
}

export function createGeminiProvider(options: GeminiProviderOptions): GeminiProvider {
  const client = new GeminiClient(options);
  return {
    client,
    embedder: createGeminiEmbedder(client, { model: options.embeddingModel, dimensions: options.dimensions }),
    chat: createGeminiChat(client, { model: options.chatModel }),
  };
}
