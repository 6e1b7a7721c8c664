/**
 * The interfaces every stage depends on. Only the composition root (src/open-index.ts)
 * knows which concrete provider implements them.
 */
import type { ProviderError } from "../errors.js";

/** Limits an embedder declares, so batching never sends a request the service refuses. */
export interface EmbedderLimits {
  /** Inputs per request. Gemini: 100. */
  maxInputsPerRequest: number;
  /** Tokens per input (longer inputs are cut before sending). Gemini: 2,048 or 8,192. */
  maxInputTokens: number;
  /** Total tokens per request, to stay clear of payload and deadline limits. */
  maxRequestTokens: number;
  /** Media items per `embedMedia` call (Gemini Embedding 2: 6 images). */
  maxMediaPerRequest?: number;
  /**
   * The service counts every input of a request as one request against its requests-per-minute
   * and per-day quotas (Gemini does for embeddings), so quota pacing counts inputs, not calls.
   * @default false
   */
  inputsCountAsRequests?: boolean;
}

/** How an embedder turns a document or a query into the text it sends; recorded in the index. */
export interface EmbeddingForm {
  /** "plain" (text as is), "prefix" (a documented text prefix) or "task-type" (a native task type). */
  kind: "plain" | "prefix" | "task-type";
  /** The task type or prefix template, when `kind` is not "plain". */
  value?: string;
}

/** How documents and how queries are embedded: one documented pairing (see the README's "Decisions"). */
export interface EmbeddingPairing {
  document: EmbeddingForm;
  query: EmbeddingForm;
}

/** The embedding configuration an index is built with: a query must use the same one. */
export interface EmbeddingConfig extends EmbeddingPairing {
  provider: string;
  model: string;
  dimensions: number;
}

/** One embedding request's outcome. */
export interface EmbedResult {
  /** One vector per input, in input order, each of `dimensions` floats, L2-normalised. */
  vectors: Float32Array[];
  /** Tokens billed, when the service reports them (Gemini's compat embeddings do not). */
  tokens?: number;
}

export interface EmbedCallOptions {
  /** Cancels the call, a request in flight included. */
  signal?: AbortSignal;
  /**
   * A graceful stop: ends a wait between retries at once and sends nothing more; a request in
   * flight is left to finish. The call then throws `stop.reason`.
   */
  stop?: AbortSignal;
  /**
   * The caller's token estimate of the whole request. A rate limit (429) whose quota is smaller
   * than the request (more tokens than the tokens-per-minute limit, more inputs than the
   * requests-per-minute limit where inputs count) is thrown at once instead of retried: only a
   * smaller request can pass it.
   */
  tokens?: number;
  /** Told of each rate limit (429) before the call waits it out, e.g. to learn the quota it names. */
  onRateLimited?: (error: ProviderError) => void;
  /**
   * Told before the call waits to try again (a 429's RetryInfo, a backoff after a 5xx), with a
   * promise that settles when the wait is over: a caller may lend the request's place in its
   * window to another request meanwhile, so one request's wait holds up no other.
   */
  onRetryWait?: (wait: { delayMs: number; resumed: Promise<void>; error: ProviderError }) => void;
}

/** List prices for cost estimates in run reports (USD per million input tokens). */
export interface EmbeddingPricing {
  usdPerMillionTokens: number;
  /** Price through the Batch API. */
  batchUsdPerMillionTokens?: number;
}

/** Turns texts into vectors. One call is one request (already sized within `limits`); retries happen inside. */
export interface Embedder {
  readonly config: EmbeddingConfig;
  readonly limits: EmbedderLimits;
  /** For estimates only; undefined when the price is unknown. */
  readonly pricing?: EmbeddingPricing;
  /** Embed document chunks (document form). `titles[i]` is used where the form has a title. */
  embedDocuments(
    texts: string[],
    options?: EmbedCallOptions & { titles?: (string | undefined)[] },
  ): Promise<EmbedResult>;
  /** Embed a search query (query form). */
  embedQuery(text: string, options?: EmbedCallOptions): Promise<Float32Array>;
  /**
   * Multimodal models only: one vector per item from the media bytes together with their text
   * (a caption), in the document form. At most `limits.maxMediaPerRequest` items per call.
   */
  embedMedia?(
    items: Array<{ media: MediaInput; text: string; title?: string }>,
    options?: EmbedCallOptions,
  ): Promise<EmbedResult>;
}

/** A model the service offers to this key, as its model list says. */
export interface ServiceModel {
  /** Id without the `models/` prefix. */
  id: string;
  /**
   * "embedding" (embedContent), "chat" (generateContent), or "other"; guessed from the id when the list gives no
   * methods.
   */
  kind: "embedding" | "chat" | "other";
  displayName?: string;
  /** Tokens per request input, when the list says. */
  inputTokenLimit?: number;
  /** Tokens per answer, when the list says (chat models). */
  outputTokenLimit?: number;
  /** Gemini's `supportedGenerationMethods`, when the list has them (the native list does, the compat one does not). */
  methods?: string[];
}

/** Bytes of an image or an audio clip. */
export interface MediaInput {
  mimeType: string;
  data: Uint8Array;
}

/** A stretch of a transcript, with its start (and end) in seconds. */
export interface TranscriptSegment {
  start: number;
  end?: number;
  text: string;
}

/**
 * Turns media into text a search index can hold: image captions (with any visible text) and
 * timestamped audio transcripts, made by a multimodal chat model.
 */
export interface MediaDescriber {
  /** Which model describes (part of the cache key of descriptions). */
  readonly model: string;
  describeImage(
    image: MediaInput,
    context: { name: string; alt?: string; headings?: string[] },
    options?: { signal?: AbortSignal },
  ): Promise<string>;
  transcribeAudio(
    audio: MediaInput,
    context: { name: string },
    options?: { signal?: AbortSignal },
  ): Promise<TranscriptSegment[]>;
  /** The text of a scanned document page (an image of it), verbatim, in reading order (OCR). */
  transcribePage(
    image: MediaInput,
    context: { name: string; page: number },
    options?: { signal?: AbortSignal },
  ): Promise<string>;
}

/** A function call the model asked for, as it must be sent back in later turns. */
export interface ChatToolCall {
  /** The call's id (may be empty from some models; a caller replaying it must keep ids consistent). */
  id: string;
  name: string;
  /** The arguments as the model wrote them: a JSON object text (not yet validated). */
  arguments: string;
  /**
   * Opaque data the provider requires back with the call in later turns (Gemini 3's thought
   * signature: a replayed call without it is refused). Replay it untouched.
   */
  signature?: string;
}

/** A message in a chat request. */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | {
      role: "assistant";
      content: string;
      /** Calls the model made in this turn, replayed as they came (with their signatures). */
      toolCalls?: ChatToolCall[];
    }
  | {
      role: "tool";
      /** The id of the call this answers. */
      toolCallId: string;
      content: string;
    };

/** A function the model may call: a name, what it does, and a JSON Schema of its arguments. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Token usage of one chat call. */
export interface ChatUsage {
  promptTokens: number;
  outputTokens: number;
  /** Thinking tokens (total minus prompt minus output when the service does not say). */
  thinkingTokens: number;
  /** Prompt tokens served from a context cache. */
  cachedTokens: number;
  totalTokens: number;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Overrides the model's default. */
  model?: string;
  maxOutputTokens?: number;
  temperature?: number;
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | "none";
  thinkingBudget?: number;
  includeThoughts?: boolean;
  serviceTier?: "flex" | "priority";
  /** A Gemini cachedContent name holding the system instruction and pinned context. */
  cachedContent?: string;
  /** A JSON schema the answer must follow (not with `tools`: Gemini refuses the combination). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** Functions the model may call instead of answering; calls arrive as one `tool-calls` event. */
  tools?: ChatTool[];
  /** "auto" lets the model choose, "none" makes it answer in text, "required" makes it call. @default "auto" */
  toolChoice?: "auto" | "none" | "required";
}

/** Items of a streamed chat reply. */
export type ChatStreamEvent =
  | { type: "text-delta"; text: string }
  | { type: "thought"; text: string }
  | { type: "usage"; usage: ChatUsage }
  /** Every function call of the reply, complete, once the stream has ended (before `usage`). */
  | { type: "tool-calls"; calls: ChatToolCall[] }
  | { type: "finish"; reason: string };

/**
 * A chat model that streams. Opening the stream is retried; once open, a stream that breaks off
 * (or ends without a finish reason) throws StreamInterruptedError, and the last event of a
 * complete stream is `finish`.
 */
export interface ChatModel {
  readonly model: string;
  /**
   * Checks a request's options against its model before anything is sent: returns the request
   * with options mapped to what the model takes, or throws ConfigError for one it can never
   * take (e.g. a reasoning effort the model refuses).
   */
  prepare?(request: ChatRequest): ChatRequest;
  stream(request: ChatRequest, options?: { signal?: AbortSignal }): AsyncIterable<ChatStreamEvent>;
}

/** A context cache (Gemini `cachedContents`) as the service reports it; the contents are never returned. */
export interface CachedContext {
  /** `cachedContents/<id>`. */
  name: string;
  /** Model id without `models/`: a request that uses the cache must use the same model. */
  model: string;
  displayName?: string;
  /** RFC 3339 times, as the service sends them. */
  createTime?: string;
  updateTime?: string;
  expireTime?: string;
  /** Tokens the cache holds (billed at the cached rate on every use). */
  totalTokens?: number;
}

/** What a new context cache holds: the stable start of a conversation. */
export interface CreateCachedContextRequest {
  /** Model id, with or without `models/`. */
  model: string;
  /** The system instruction; a request that uses the cache must not send its own. */
  systemInstruction?: string;
  /** User-turn texts placed before the conversation (pinned documents), in order. */
  contents: string[];
  /** Lifetime in seconds from now. */
  ttlSeconds: number;
  /** Shown in the service's list. */
  displayName?: string;
}

/** Why a context cache could not be created: the content is below the model's minimum. */
export interface CacheTooSmall {
  /** Tokens the service counted, when it said. */
  totalTokens?: number;
  /** The model's minimum, when the service said. */
  minTokens?: number;
}

export interface CacheCallOptions {
  signal?: AbortSignal;
}

/**
 * Creates and maintains context caches. Every method is one remote operation under the
 * provider's retry policy. A cache that expired or was deleted is reported the same way by
 * every method (and by a chat request that names it): `isGone(error)` tells.
 */
export interface ContextCacheService {
  /**
   * The smallest cache the model accepts, in tokens, as documented (the lowest documented
   * value when the documents disagree): below it, creating one is not even tried. The service's
   * own "too small" answer is the final word (see `tooSmall`).
   */
  minTokens(model: string): number;
  create(request: CreateCachedContextRequest, options?: CacheCallOptions): Promise<CachedContext>;
  get(name: string, options?: CacheCallOptions): Promise<CachedContext>;
  /** Every live cache of the key's project, following pages. */
  list(options?: CacheCallOptions): Promise<CachedContext[]>;
  /** Sets a new lifetime of `ttlSeconds` from now. */
  updateTtl(name: string, ttlSeconds: number, options?: CacheCallOptions): Promise<CachedContext>;
  /** Deletes a cache; false when it was already gone. */
  delete(name: string, options?: CacheCallOptions): Promise<boolean>;
  /** True when `error` says the named cache does not exist (expired, deleted, or never created). */
  isGone(error: unknown): boolean;
  /** The service's numbers when `error` refused a cache below the model's minimum; undefined for other errors. */
  tooSmall(error: unknown): CacheTooSmall | undefined;
}

/** Where a Batch API job is: waiting, working, or one of its four ends. */
export type BatchState = "pending" | "running" | "succeeded" | "failed" | "cancelled" | "expired";

/** A batch job as the service reports it, in our terms. */
export interface BatchJobInfo {
  /** The service's id (Gemini: `batches/…`, with the slash). */
  id: string;
  state: BatchState;
  /** The uploaded input file (`files/…`). */
  inputFile?: string;
  /** The results file (`files/batch-…`), once the job succeeded. */
  outputFile?: string;
  /** ISO 8601 creation time, when the service reports one. */
  createdAt?: string;
  /** Request counts, when the service reports them (Gemini may not). */
  counts?: { total?: number; completed?: number; failed?: number };
  /** Why the job failed, when it did. */
  error?: string;
}

/** One output line of a batch job: a vector (fitted to the configured dimensions) or the reason there is none. */
export interface BatchResult {
  customId: string;
  vector?: Float32Array;
  error?: string;
}

/** One text to embed in a batch job. `customId` must be unique within the job; it is how results come back. */
export interface BatchEmbedItem {
  customId: string;
  text: string;
  /** Document title, for embedding forms that take one. */
  title?: string;
}

export interface BatchCallOptions {
  signal?: AbortSignal;
}

export interface BatchUploadOptions extends BatchCallOptions {
  /** Shown in the service's file list. @default "gemindex-embeddings-<ISO time>" */
  displayName?: string;
}

/** What `upload` stored: persist `fileName` before `submit`, so a crash never uploads or pays twice. */
export interface BatchUploadResult {
  /** The uploaded file (`files/…`), to pass to `submit`. */
  fileName: string;
  /** Lines (one per item). */
  count: number;
  /** Size of the uploaded JSONL file. */
  bytes: number;
}

export interface BatchListOptions extends BatchCallOptions {
  /** At most this many jobs, newest first. @default 100 */
  limit?: number;
  /** Jobs asked for per request. @default min(limit, 100) */
  pageSize?: number;
}

export interface BatchResultsOptions extends BatchCallOptions {
  /**
   * Told about each output line that names no readable custom id (it cannot become a BatchResult).
   * Items whose id never comes back must be treated as failed by the caller.
   */
  onUnreadable?: (info: { line: number; reason: string }) => void;
}

/**
 * Embeds documents through an asynchronous Batch API (about half the price, results within 24 h).
 * The flow is upload → submit → poll `get` → `results`; every step is one remote operation
 * under the client's retry policy, so a caller that persists the file name and the job id
 * between steps can resume after a crash without paying twice.
 */
export interface BatchEmbedder {
  /** The same configuration as the synchronous embedder's: vectors are interchangeable. */
  readonly config: EmbeddingConfig;
  /** Writes the JSONL (document form applied) and uploads it; persist the returned file name before submit(). */
  upload(
    items: AsyncIterable<BatchEmbedItem> | Iterable<BatchEmbedItem>,
    options?: BatchUploadOptions,
  ): Promise<BatchUploadResult>;
  /** Creates a job over an uploaded file. */
  submit(fileName: string, options?: BatchCallOptions): Promise<BatchJobInfo>;
  get(batchId: string, options?: BatchCallOptions): Promise<BatchJobInfo>;
  /** Asks the service to stop a job; a job that already ended is returned as it is. */
  cancel(batchId: string, options?: BatchCallOptions): Promise<BatchJobInfo>;
  /** Jobs, newest first. */
  list(options?: BatchListOptions): Promise<BatchJobInfo[]>;
  /** Streams the results of a succeeded job (one entry per output line, in the file's order, not the input's). */
  results(job: BatchJobInfo, options?: BatchResultsOptions): AsyncIterable<BatchResult>;
  /** Deletes an uploaded file (deleting one that is already gone is not an error). */
  deleteFile(fileName: string, options?: BatchCallOptions): Promise<void>;
}
