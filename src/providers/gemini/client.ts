import OpenAI from "openai";
import { ConfigError, GemindexError } from "../../errors.js";
import { type RetryNotice, type RetryPolicy, type WithRetryOptions, withRetry } from "../retry.js";
import { defaultGeminiBaseURL, deriveEndpoints, type GeminiEndpoints } from "./endpoints.js";
import { createRedactor, errorFromResponse, errorFromStream, normalizeError, type Redactor } from "./errors.js";

export interface GeminiClientOptions {
  /** GEMINI_API_KEY. */
  apiKey: string;
  /** GEMINI_BASE_URL. @default "https://generativelanguage.googleapis.com/v1beta/openai/" */
  baseURL?: string;
  /** Per-attempt timeout. @default 120000 */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: (notice: RetryNotice) => void;
  /** How retries wait (tests move an emulator clock instead). @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Replaces global fetch (proxies, tests of the transport itself). */
  fetch?: typeof fetch;
}

/** Per-call additions to the client's retry policy (see {@link WithRetryOptions}). */
export type CallOptions = Pick<WithRetryOptions, "stop" | "retryIf" | "onRetry">;

/** Options of one native call. */
export interface NativeRequest {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path under the native base (`models/x:embedContent`) or an absolute URL (upload sessions). */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * One connection to Gemini: the `openai` SDK for the compat endpoints and `fetch` for native ones,
 * with the same key, the same retry policy and the same error normalisation. The SDK runs with
 * `maxRetries: 0` so that nothing retries on top of our policy.
 */
export class GeminiClient {
  readonly openai: OpenAI;
  readonly endpoints: GeminiEndpoints;
  readonly redact: Redactor;
  readonly #apiKey: string;
  readonly #options: GeminiClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: GeminiClientOptions) {
    if (!options.apiKey) throw new ConfigError("GEMINI_API_KEY is empty.");
    this.#options = options;
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.endpoints = deriveEndpoints(options.baseURL ?? defaultGeminiBaseURL);
    this.redact = createRedactor(options.apiKey);
    this.openai = new OpenAI({
      apiKey: options.apiKey,
      baseURL: this.endpoints.compat,
      maxRetries: 0,
      timeout: options.timeoutMs ?? 120_000,
      fetch: unwrapArrayErrors(this.#fetch),
    });
  }

  /** True when native endpoints (task types, files, caches, multimodal embeddings) are available. */
  get hasNative(): boolean {
    return this.endpoints.native !== undefined;
  }

  /**
   * Runs one remote operation under the retry policy, with errors normalised. `run` gets a signal
   * of its own for each attempt, linked to `signal`: pass that one to the SDK or fetch, never
   * `signal` itself (the openai SDK leaves a listener on whatever signal it gets, so a long-lived
   * signal would collect one per request).
   */
  call<T>(
    operation: string,
    run: (attempt: number, signal?: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
    options: CallOptions = {},
  ): Promise<T> {
    const attempt = async (number: number) => {
      const link = linkSignal(signal);
      try {
        return await run(number, link.signal);
      } finally {
        link.dispose();
      }
    };
    const onRetry = this.#options.onRetry;
    const own = options.onRetry;
    return withRetry(operation, attempt, {
      policy: this.#options.retry,
      signal,
      stop: options.stop,
      retryIf: options.retryIf,
      onRetry:
        onRetry && own
          ? (notice) => {
              own(notice);
              onRetry(notice);
            }
          : (own ?? onRetry),
      normalize: (error) => this.normalize(operation, error),
      ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
    });
  }

  /** Turns what a call threw into our error classes (used for errors outside `call`, e.g. mid-stream). */
  normalize(operation: string, error: unknown): unknown {
    return normalizeError(error, { operation, endpoint: this.endpoints.compat, redact: this.redact });
  }

  /** The error for a stream that broke off after it opened (never retried: text may have been shown). */
  streamError(operation: string, error: unknown): unknown {
    if (error instanceof GemindexError) return error;
    return errorFromStream(error, { operation, endpoint: this.endpoints.compat, redact: this.redact });
  }

  /** One native JSON request (no retry: wrap in `call`). Throws ProviderError on a non-2xx answer. */
  async native<T>(operation: string, request: NativeRequest): Promise<{ body: T; headers: Headers }> {
    const native = this.endpoints.native;
    if (!native)
      throw new ConfigError(`${operation} needs Gemini's native API, which ${this.endpoints.compat} does not offer.`);
    const url = /^https?:\/\//.test(request.path) ? request.path : `${native}${request.path}`;
    const headers: Record<string, string> = { "x-goog-api-key": this.#apiKey, ...request.headers };
    let body: string | Uint8Array | undefined;
    if (request.body instanceof Uint8Array) body = request.body;
    else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers["content-type"] ??= "application/json";
    }
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 120_000);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const response = await this.#fetch(url, { method: request.method ?? "POST", headers, body, signal });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Not JSON (a proxy's HTML page, a raw download): keep the text.
    }
    if (!response.ok) {
      throw errorFromResponse(response.status, parsed, { operation, endpoint: native, redact: this.redact });
    }
    return { body: parsed as T, headers: response.headers };
  }
}

/**
 * A child of `parent` that aborts with it, and whose link can be cut once the child is no longer
 * needed, so a long-lived parent does not keep one listener per request.
 */
export function linkSignal(parent: AbortSignal | undefined): { signal?: AbortSignal; dispose: () => void } {
  if (!parent) return { signal: undefined, dispose: () => {} };
  const child = new AbortController();
  const forward = () => child.abort(parent.reason);
  if (parent.aborted) child.abort(parent.reason);
  else parent.addEventListener("abort", forward, { once: true });
  return { signal: child.signal, dispose: () => parent.removeEventListener("abort", forward) };
}

/**
 * Gemini's compat layer wraps error bodies in a one-element array, which openai-node cannot read
 * (the error arrives as "(no body)"). Unwrapping it here keeps Google's status and RetryInfo.
 */
function unwrapArrayErrors(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.ok) return response;
    const text = await response.text();
    let body = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.length === 1) body = JSON.stringify(parsed[0]);
    } catch {
      // Not JSON: pass the text on unchanged.
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
