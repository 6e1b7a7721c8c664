/**
 * Public types of the Gemini emulator. Every option that mirrors a behaviour Google's docs leave
 * unconfirmed says which variant is the default (the stricter one) and what the other one mimics.
 */

/** A usage tier whose published embedding limits `EmulatorOptions.tier` presets. */
export type QuotaTier = "free" | "1" | "2" | "3";

/** Per-model quota; a request over any limit gets 429 RESOURCE_EXHAUSTED. */
export interface ModelLimits {
  /** Requests per minute (sliding 60 s window on the emulator clock). */
  rpm?: number;
  /** Input tokens per minute (embeddings: see `countEmbeddingTokens`; chat: ceil(chars / 4)). */
  tpm?: number;
  /**
   * Requests per day; the day ends at midnight America/Los_Angeles, as Google's does. A 429 for it
   * carries a short RetryInfo delay (seconds, as observed), not the time to midnight.
   */
  rpd?: number;
  /**
   * Count every item of an embedding request (compat `input` array, `batchEmbedContents`
   * requests) as one request against rpm/rpd (unconfirmed by https://ai.google.dev/api/embeddings, but
   * reported by several users of the free tier: the stricter variant is the default). `false` counts one per call.
   * @default true
   */
  countEmbeddingItems?: boolean;
  /** Which tier's quota ids and metric names a 429 carries (`…-FreeTier` or `…-PaidTierN`). @default "free" */
  tier?: QuotaTier;
}

/** What the chat responder sees; the default responder is in chat/responder.ts. */
export interface ChatRequestInfo {
  /** Model id without the `models/` prefix. */
  model: string;
  /** The messages as sent. */
  messages: unknown[];
  /** System text: the cache's systemInstruction, then system/developer messages. */
  system: string;
  /** Everything the model sees as text: cached contents, system text and every message. */
  prompt: string;
  /** Text of the last user message. */
  question: string;
  /** `cachedContents/…` when the request used a cache. */
  cachedContent?: string;
  /** `response_format` as sent. */
  responseFormat?: unknown;
  /** `tools` as sent. */
  tools?: unknown[];
  includeThoughts: boolean;
  stream: boolean;
  /** The whole request body. */
  body: Record<string, unknown>;
}

/** A tool call the emulator should answer with (see {@link EmulatorOptions.toolResponder}). */
export interface EmulatedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface EmulatorOptions {
  /** Port to listen on (read once at start). @default 0 (random) */
  port?: number;
  /** Accepted API keys. @default ["test-key"] */
  apiKeys?: string[];
  /** Delay (real ms) before every response. Mutable at runtime through `emulator.options`. @default 0 */
  latencyMs?: number;
  /** Delay (real ms) between SSE chunks. @default 0 */
  streamChunkDelayMs?: number;
  /** Per-model quotas, keyed by model id without `models/`; they win over `tier`. @default {} (unlimited) */
  limits?: Record<string, ModelLimits>;
  /**
   * Presets every embedding model's quota to a usage tier's published limits (embedding inputs
   * counted as requests): "free" 100 RPM / 30,000 TPM / 1,000 RPD, "1" 3,000 RPM / 1M TPM,
   * "2" 5,000 RPM / 5M TPM, "3" 10,000 RPM / 10M TPM (see EMBEDDING_TIER_LIMITS). A model in
   * `limits` keeps its own. @default none (unlimited)
   */
  tier?: QuotaTier;
  /**
   * HTTP status for a wrong key: 400 INVALID_ARGUMENT (what Google usually sends) or
   * 401 UNAUTHENTICATED (seen by one third party). @default 400
   */
  invalidKeyStatus?: 400 | 401;
  /**
   * Compat embeddings honour `dimensions` (UNCONFIRMED). `false` mimics the variant that ignores it
   * and always returns 3072 floats. @default true
   */
  dimensionsHonoured?: boolean;
  /**
   * Compat `encoding_format:"base64"` (UNCONFIRMED): "honour" returns little-endian float32 base64
   * strings, "ignore" returns float arrays anyway (what garbles the openai SDK's default). @default "honour"
   */
  base64Mode?: "honour" | "ignore";
  /**
   * Input over the model's token limit (2,048 for 001, 8,192 for 2-preview; UNCONFIRMED, so the
   * stricter variant is the default): "error" answers 400 for the whole request with
   * `The input token count (N) exceeds the maximum number of tokens allowed (2048).`; "truncate"
   * embeds the input's first `limit` tokens (Vertex's autoTruncate). Tokens are counted by
   * `countEmbeddingTokens`, which charges layout padding heavily. @default "error"
   */
  overlongInput?: "error" | "truncate";
  /**
   * Input token limits per embedding model, replacing the catalog's (2,048 / 8,192): plays a
   * service whose tokenizer counts more than the client expects. @default the catalog's
   */
  inputTokenLimits?: Record<string, number>;
  /**
   * Refuses embedding inputs the way the service refuses content it will not embed: when it returns
   * a message for a text input, the whole request is a 400 INVALID_ARGUMENT with that message (no
   * input index named). For tests of per-input faults. @default none
   */
  refuseEmbeddingInput?: (text: string) => string | undefined;
  /** Produces the assistant's text. @default the responder in chat/responder.ts */
  chatResponder?: (request: ChatRequestInfo) => string;
  /**
   * Produces tool calls. Returning a non-empty array answers with `tool_calls`.
   * @default calls the named/first tool only when `tool_choice` is "required" or names a function
   */
  toolResponder?: (request: ChatRequestInfo) => EmulatedToolCall[] | undefined;
  /** Emulator-clock ms a batch stays `in_progress` before it completes. @default 50 */
  batchDelayMs?: number;
  /**
   * Accept the chat/embedding/batch parameters Google's docs leave unconfirmed instead of
   * answering 400 "Unknown name": chat `seed`, `logprobs`, `top_logprobs`, `frequency_penalty`,
   * `logit_bias`, `metadata`, `store`, a top-level `google` object and `file` content parts;
   * embeddings `task_type` and `user`; batches `metadata` and `output_expires_after`. @default false
   */
  acceptUnconfirmedParams?: boolean;
  /** More top-level field names to accept, per compat endpoint. @default {} */
  extraAllowedFields?: { chat?: string[]; embeddings?: string[]; batches?: string[] };
  /** Echo `model` with the `models/` prefix in compat chat/embedding responses (seen sometimes). @default false */
  echoModelPrefix?: boolean;
  /**
   * Valid `reasoning_effort` values per chat model (real values shift over time).
   * @default see DEFAULT_REASONING_EFFORTS in models.ts
   */
  reasoningEfforts?: Record<string, string[]>;
  /**
   * Which thinking levels each Gemini 3 model accepts in `thinking_config.thinking_level`
   * (gemini-3-pro-preview rejects MEDIUM: "Thinking level MEDIUM is not supported for this model").
   * @default see DEFAULT_THINKING_LEVELS in models.ts
   */
  thinkingLevels?: Record<string, string[]>;
  /** Add `completion_tokens_details.reasoning_tokens` to usage (version-dependent). @default false */
  reasoningTokensDetail?: boolean;
  /** Report `prompt_tokens_details.cached_tokens` when a cache is used (UNCONFIRMED). @default true */
  reportCachedTokens?: boolean;
  /**
   * The final stream chunk carrying `extra_content.google.thought_signature` with empty content:
   * only on Gemini 3 models, always, or never. @default "gemini-3"
   */
  streamThoughtSignature?: "gemini-3" | "always" | "never";
  /**
   * Thought summaries in `content`: wrapped in `<thought>…</thought>` or bare (tag text UNCONFIRMED). @default "tags"
   */
  thoughtTags?: "tags" | "bare";
  /** `finish_reason` when the reply has tool calls (Gemini often says "stop"). @default "stop" */
  toolCallFinishReason?: "stop" | "tool_calls";
  /** Tool call ids: "call_N" like newer models, or "" like older ones. @default "call" */
  toolCallIds?: "call" | "empty";
  /**
   * 400 when a Gemini 3 assistant turn with tool calls is replayed without its thought_signature
   * (documented: https://ai.google.dev/gemini-api/docs/thought-signatures). `false` mimics a lenient server.
   * @default true
   */
  requireThoughtSignatures?: boolean;
  /** `image_url` with an http(s) URL: "reject" (400) or "accept". @default "reject" */
  remoteImageUrls?: "reject" | "accept";
  /** `tools` together with JSON `response_format`: "reject" (400, as observed) or "accept". @default "reject" */
  toolsWithJsonMode?: "reject" | "accept";
  /** `service_tier:"flex"` requests are shed with 503 UNAVAILABLE. @default false */
  flexOverloaded?: boolean;
  /**
   * `service_tier:"priority"` overflows silently to standard (header `x-gemini-service-tier: standard`). @default false
   */
  priorityOverflow?: boolean;
  /**
   * A chat model different from the cache's model: "error" (400) or "ignore" (exact text UNCONFIRMED). @default "error"
   */
  cacheModelMismatch?: "error" | "ignore";
  /**
   * Minimum cache size table: "2025" (1,024 flash / 4,096 pro) or "2026" (2,048 for 2.5, 4,096 for 3). @default "2025"
   */
  cacheMinTokens?: "2025" | "2026" | Record<string, number>;
  /**
   * Status for a file id that does not exist: 403 PERMISSION_DENIED (observed text) or 404 NOT_FOUND
   * (https://ai.google.dev/gemini-api/docs/troubleshooting).
   * @default 403
   */
  missingFileStatus?: 403 | 404;
  /** Emulator-clock ms that uploaded video/audio files stay PROCESSING before ACTIVE. @default 0 */
  mediaProcessingMs?: number;
  /** Accept `batches%2F<id>` (what openai-node's `batches.retrieve("batches/…")` sends; UNCONFIRMED). @default true */
  acceptEncodedBatchIds?: boolean;
  /**
   * Compat batch object fields beyond id/object/endpoint/input_file_id/completion_window/status/output_file_id
   * (UNCONFIRMED): "full" adds OpenAI's created_at, request_counts, timestamps…; "minimal" omits them. @default "full"
   */
  batchObjectStyle?: "full" | "minimal";
  /** Order of batch output lines: "shuffled" (deterministic, not input order) or "input". @default "shuffled" */
  batchOutputOrder?: "shuffled" | "input";
  /**
   * Missing-key 403 through compat: wrapped in an array like other compat errors (UNCONFIRMED) or bare. @default true
   */
  missingKeyWrapped?: boolean;
  /**
   * Native endpoints given only `Authorization: Bearer <key>`: "reject" (401 as for an OAuth token) or "accept".
   * @default "reject"
   */
  nativeBearerAuth?: "reject" | "accept";
  /** Include `usageMetadata` in native batchEmbedContents replies (newer responses). @default false */
  nativeEmbedUsageMetadata?: boolean;
  /** Native `taskType` on gemini-embedding-2 models (not supported there): "ignore" or "error". @default "ignore" */
  embedding2TaskType?: "ignore" | "error";
  /**
   * A native embedding request's `title` under a task type other than RETRIEVAL_DOCUMENT (where the
   * docs say it does not apply; what the service does is UNCONFIRMED): "error" (400) or "ignore".
   * @default "error"
   */
  titleWithoutDocumentTask?: "error" | "ignore";
  /**
   * A share of embedding requests (compat and native) answered 429 RESOURCE_EXHAUSTED with Help and
   * RetryInfo but no QuotaFailure: the service short of capacity for a moment, not the caller's
   * quota (the request is fine again after the delay). Which requests is deterministic: the n-th
   * embedding request since `reset()` is refused when a hash of n falls under `share`. @default none
   */
  transientRateLimits?: { share: number; retryDelay?: string };
}

/** One request as the emulator saw it. */
export interface LoggedRequest {
  method: string;
  /** Path without the query string, as sent (percent-encoding kept). */
  path: string;
  query: Record<string, string>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON, `{ bytes }` for other bodies, undefined when empty. */
  body: unknown;
  /** Status sent (0 while the response is still being prepared; 0 for dropped connections). */
  status: number;
  /** Emulator-clock ms when the request arrived. */
  at: number;
  /** Emulator-clock ms when its answer was written (undefined while pending, held, or for a dropped connection). */
  answeredAt?: number;
}

/** A queued failure; the first matching fault is used and consumed `times` times. */
export interface Fault {
  method?: string;
  /** Exact path, a path suffix (e.g. "chat/completions"), or a RegExp tested on the path. */
  path?: string | RegExp;
  status: number;
  /** @default 1 */
  times?: number;
  /** RetryInfo delay for 429s. @default "1s" */
  retryDelay?: string;
  /**
   * A 429 names the per-minute quota it hit in a QuotaFailure detail (the caller's quota: slow
   * down); false sends Help and RetryInfo only (the service short of capacity: retry later). @default true
   */
  quotaFailure?: boolean;
  message?: string;
  /** Google status text; @default derived from `status` */
  googleStatus?: string;
  /** Raw body to send instead of a Google error (JSON-encoded). */
  body?: unknown;
  /** For SSE: send this many chunks, then fail (only matches streaming requests). */
  afterStreamChunks?: number;
  /** Destroy the socket instead of answering (after `afterStreamChunks` chunks when set). */
  dropConnection?: boolean;
  /**
   * How an SSE stream ends after `afterStreamChunks` chunks (no chunk before it carries a
   * `finish_reason`): "error" an SSE `error` event (`status` tells which), "done" `data: [DONE]`
   * with no finish reason ever sent (a proxy cutting the stream), "eof" the body just ends,
   * "length" / "content_filter" a last chunk with that `finish_reason` (output limit, safety stop).
   * A non-streaming request matched by a "length" or "content_filter" fault gets that finish
   * reason with no content. @default "error" ("drop" when `dropConnection`)
   */
  streamEnd?: "error" | "done" | "eof" | "length" | "content_filter";
}

export interface Emulator {
  /** "http://127.0.0.1:PORT" */
  origin: string;
  /** origin + "/v1beta/openai/" */
  baseURL: string;
  /** First accepted key. */
  apiKey: string;
  /** Live options; changes apply to the next request. */
  options: EmulatorOptions;
  /** Every request in arrival order, failed ones included. */
  log: LoggedRequest[];
  requests(filter?: { method?: string; path?: string | RegExp }): LoggedRequest[];
  inject(fault: Fault): void;
  /**
   * Holds every request matching `path` that arrives from now on (logged, never answered) until
   * `release()`, `reset()` or `close()`: a service that stopped answering, for tests that kill a
   * client while its requests are in flight.
   */
  hold(path?: string | RegExp): void;
  /** Lets held requests (and later ones) through. */
  release(): void;
  /** Move the emulator clock forward (cache TTLs, quota windows, file expiry, batch progress). */
  advanceTime(ms: number): void;
  /** Emulator-clock now, in ms since the epoch. */
  now(): number;
  /** Finish a pending batch now (compat `batches/…` id, with or without prefix). */
  completeBatch(id: string): void;
  /** Mark a pending batch failed. */
  failBatch(id: string, message?: string): void;
  /** Clear log, faults, files, batches, caches, quota counters and the clock offset. Options stay. */
  reset(): void;
  close(): Promise<void>;
}
