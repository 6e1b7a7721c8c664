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

export { ChatSession, type ChatSessionOptions } from "./answer/chat-session.js";
export { extractCitations } from "./answer/citations.js";
export type { CacheRegistryEntry } from "./answer/context-cache.js";
export type {
  AgentStep,
  AnswerCacheInfo,
  AnswerEvent,
  AnswerOptions,
  AnswerTurn,
  Citation,
  PinnedDocument,
} from "./answer/types.js";
export { MODEL_LIST_MAX_AGE_MS, type ModelListing } from "./config/model-catalog.js";
export { environmentVariables, resolveSettings, type Settings, settingsFromEnv } from "./config/settings.js";
export { storageOptionsFromEnv, storageVariables } from "./config/storage-env.js";
export {
  AuthenticationError,
  BudgetExceededError,
  ConfigError,
  ConnectionError,
  type ErrorCode,
  type ErrorData,
  type ErrorInfo,
  GemindexError,
  hasCode,
  IndexDamagedError,
  IndexLockedError,
  InvalidAnswerError,
  isInputFault,
  LoadError,
  ProviderError,
  QuotaExhaustedError,
  StoreError,
  StreamInterruptedError,
  toErrorInfo,
} from "./errors.js";
export * from "./eval/index.js";
export type { BatchJobRecord, BatchJobState, CollectReport } from "./indexing/batch-jobs.js";
export type { HealthReport } from "./indexing/check-health.js";
export type { CollectBatchesOptions } from "./indexing/collect-batches.js";
export type { TableCheck } from "./indexing/inspect-index.js";
export type { OptimizeOptions, OptimizeReport } from "./indexing/optimize.js";
export { describeEmbedding } from "./indexing/prepare-index.js";
export type { RepairAction } from "./indexing/repair-index.js";
export type { PrunedRoot, RepairOptions, RepairResult } from "./indexing/repair-run.js";
export { parseShard, type ShardSpec, shardOf } from "./indexing/shard.js";
export type { IndexStatus } from "./indexing/status.js";
export type {
  FileFailure,
  FileWarning,
  IndexOptions,
  IndexProgress,
  IndexReport,
  IndexSource,
  RunWait,
} from "./indexing/types.js";
export * from "./jobs/index.js";
export type { LoadWarning } from "./loaders/warnings.js";
export type { Notice, NoticeData, NoticeEmbedding, NoticeKind } from "./notices.js";
export { GemIndex, type OpenIndexOptions, openIndex } from "./open-index.js";
export {
  defaultChatModel,
  defaultDimensions,
  defaultEmbeddingModel,
  defaultGeminiBaseURL,
} from "./providers/gemini/index.js";
export type { RetryPolicy } from "./providers/retry.js";
export type {
  BatchJobInfo,
  BatchState,
  CachedContext,
  ChatModel,
  ChatUsage,
  Embedder,
  EmbeddingConfig,
  ServiceModel,
} from "./providers/types.js";
export { displayPath, formatCitation } from "./retrieval/citation.js";
export type { DocumentInfo, ListDocumentsOptions } from "./retrieval/list-documents.js";
export type { DocumentText, ReadOptions } from "./retrieval/read-document.js";
export { snippet } from "./retrieval/snippet.js";
export type { Hit, SearchFilter, SearchMode, SearchOptions, SearchResult } from "./retrieval/types.js";
export type { SkipCode, SkippedEntry } from "./sources/types.js";
export { defaultLeaseTtlMs, type LeaseHolder, type LeaseState } from "./store/lease.js";
export { releaseWriteLocksSync } from "./store/write-lock.js";
