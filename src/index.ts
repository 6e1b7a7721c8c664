/**
 * gemindex: semantic search and RAG over your folders with Gemini embeddings and LanceDB.
 * This is the public API; the `gemindex` CLI uses nothing else.
 * @example
 * import { openIndex } from "gemindex";
 * const index = await openIndex({ env: process.env });
 * const report = await index.index(["docs/"]);
 * for await (const event of index.answer("What changed in v2?")) {
 *   if (event.type === "text-delta") process.stdout.write(event.text);
 * }
 * await index.close();
 */
export { openIndex, GemIndex, type OpenIndexOptions, type IndexStatus, type OptimizeReport } from "./open-index.js";
export type { HealthReport } from "./indexing/check-health.js";
export { describeEmbedding } from "./indexing/prepare-index.js";
export type { IndexOptions, IndexProgress, IndexReport, IndexSource, FileFailure } from "./indexing/types.js";
export type { BatchJobRecord, BatchJobState, CollectReport } from "./indexing/batch-jobs.js";
export type { BatchJobInfo, BatchState } from "./providers/types.js";
export { snippet } from "./retrieval/snippet.js";
export { displayPath, formatCitation } from "./retrieval/citation.js";
export type { Hit, SearchFilter, SearchMode, SearchOptions, SearchResult } from "./retrieval/types.js";
export { extractCitations, type Citation } from "./answer/citations.js";
export type { AnswerCacheInfo, AnswerEvent, AnswerOptions, AnswerTurn, PinnedDocument } from "./answer/types.js";
export { ChatSession, type ChatSessionOptions } from "./answer/chat-session.js";
export type { CacheRegistryEntry } from "./answer/context-cache.js";
export type { CachedContext } from "./providers/types.js";
export type { ChatUsage, EmbeddingConfig, Embedder, ChatModel } from "./providers/types.js";
export type { RetryPolicy } from "./providers/retry.js";
export * from "./eval/index.js";
export * from "./jobs/index.js";
export { resolveSettings, settingsFromEnv, environmentVariables, type Settings } from "./config/settings.js";
export {
  ExitCode,
  GemindexError,
  ConfigError,
  ProviderError,
  AuthenticationError,
  ConnectionError,
  QuotaExhaustedError,
  BudgetExceededError,
  StoreError,
  IndexLockedError,
  LoadError,
} from "./errors.js";
export { defaultChatModel, defaultDimensions, defaultEmbeddingModel, defaultGeminiBaseURL } from "./providers/gemini/index.js";
