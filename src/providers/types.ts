/**
 * The interfaces every stage depends on. Only the composition root (src/open-index.ts)
 * knows which concrete provider implements them.
 */

/** Limits an embedder declares, so batching never sends a request the service refuses. */
export interface EmbedderLimits {
  /** Inputs per request. Gemini: 100. */
  maxInputsPerRequest: number;
  /** Tokens per input (longer inputs are cut before sending). Gemini: 2,048 or 8,192. */
  maxInputTokens: number;
  /** Total tokens per request, to stay clear of payload and deadline limits. */
  maxRequestTokens: number;
}

/** How an embedder turns a document or a query into the text it sends; recorded in the index. */
export interface EmbeddingForm {
  /** "plain" (text as is), "prefix" (a documented text prefix) or "task-type" (a native task type). */
  kind: "plain" | "prefix" | "task-type";
  /** The task type or prefix template, when `kind` is not "plain". */
  value?: string;
}

/** The embedding configuration an index is built with: a query must use the same one. */
export interface EmbeddingConfig {
  provider: string;
  model: string;
  dimensions: number;
  document: EmbeddingForm;
  query: EmbeddingForm;
}

/** One embedding request's outcome. */
export interface EmbedResult {
  /** One vector per input, in input order, each of `dimensions` floats, L2-normalised. */
  vectors: Float32Array[];
  /** Tokens billed, when the service reports them (Gemini's compat embeddings do not). */
  tokens?: number;
}

export interface EmbedCallOptions {
  signal?: AbortSignal;
}

/** Turns texts into vectors. One call is one request (already sized within `limits`); retries happen inside. */
export interface Embedder {
  readonly config: EmbeddingConfig;
  readonly limits: EmbedderLimits;
  /** Embed document chunks (document form). `titles[i]` is used where the form has a title. */
  embedDocuments(texts: string[], options?: EmbedCallOptions & { titles?: (string | undefined)[] }): Promise<EmbedResult>;
  /** Embed a search query (query form). */
  embedQuery(text: string, options?: EmbedCallOptions): Promise<Float32Array>;
}

/** A message in a chat request. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
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
  /** A JSON schema the answer must follow. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
}

/** Items of a streamed chat reply. */
export type ChatStreamEvent =
  | { type: "text-delta"; text: string }
  | { type: "thought"; text: string }
  | { type: "usage"; usage: ChatUsage }
  | { type: "finish"; reason: string };

/** A chat model that streams. Retried only until the first event; never after text was emitted. */
export interface ChatModel {
  readonly model: string;
  stream(request: ChatRequest, options?: { signal?: AbortSignal }): AsyncIterable<ChatStreamEvent>;
}
