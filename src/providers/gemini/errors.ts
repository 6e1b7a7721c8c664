import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import {
  AuthenticationError,
  ConnectionError,
  GemindexError,
  ProviderError,
  QuotaExhaustedError,
  type QuotaViolation,
  StreamInterruptedError,
} from "../../errors.js";

/** Google's error object (`{error:{code,message,status,details}}`), as far as we read it. */
export interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

/** Removes every occurrence of the secret from `text`: no key ever reaches a message or log. */
export type Redactor = (text: string) => string;

export function createRedactor(secret: string | undefined): Redactor {
  if (!secret) return (text) => text;
  return (text) => text.split(secret).join("[redacted]");
}

/**
 * Finds Google's error object in a parsed body: the compat layer wraps it in a one-element array
 * (`[{"error":{…}}]`), native endpoints send it bare, and openai-node hands us the inner object.
 */
export function readGoogleError(body: unknown): GoogleErrorBody | undefined {
  let value = body;
  if (Array.isArray(value)) value = value[0];
  if (
    value &&
    typeof value === "object" &&
    "error" in value &&
    typeof (value as { error: unknown }).error === "object"
  ) {
    value = (value as { error: unknown }).error;
  }
  if (!value || typeof value !== "object") return undefined;
  const candidate = value as GoogleErrorBody;
  if (candidate.message === undefined && candidate.status === undefined) return undefined;
  return candidate;
}

/** Parses a Duration such as `"26s"` or `"1.5s"` into ms. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

function detailOfType(body: GoogleErrorBody, suffix: string): Record<string, unknown> | undefined {
  return body.details?.find(
    (detail) => typeof detail["@type"] === "string" && (detail["@type"] as string).endsWith(suffix),
  );
}

/** The server's requested retry delay: `RetryInfo.retryDelay`, else "Please retry in 29.05s." in the message. */
export function retryDelayOf(body: GoogleErrorBody): number | undefined {
  const fromDetail = parseDuration(detailOfType(body, "google.rpc.RetryInfo")?.retryDelay);
  if (fromDetail !== undefined) return fromDetail;
  const match = /retry in (\d+(?:\.\d+)?)\s*s/i.exec(body.message ?? "");
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/**
 * The quota a 429 names, from `QuotaFailure.violations` (the first one with a per-minute or
 * per-day quota id; `quotaValue` is the limit, e.g. "30000" for 30,000 tokens a minute).
 */
export function quotaOf(body: GoogleErrorBody): QuotaViolation | undefined {
  const violations = detailOfType(body, "google.rpc.QuotaFailure")?.violations;
  if (!Array.isArray(violations)) return undefined;
  for (const violation of violations as Array<Record<string, unknown>>) {
    const id = String(violation.quotaId ?? "");
    const window = /PerDay/i.test(id) ? "day" : /PerMinute/i.test(id) ? "minute" : undefined;
    if (!window) continue;
    const unit = /Token/i.test(id) || /token/i.test(String(violation.quotaMetric ?? "")) ? "tokens" : "requests";
    const value = Number(violation.quotaValue);
    return { unit, window, id, ...(Number.isFinite(value) && value > 0 ? { limit: value } : {}) };
  }
  return undefined;
}

const retryableStatuses = new Set([408, 429, 500, 502, 503, 504]);
const retryableNetworkCodes = new Set([
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "EAI_AGAIN",
]);

export interface ErrorContext {
  /** What we were doing, e.g. "embeddings", "chat", "file upload". */
  operation: string;
  /** Where, for connection errors (the configured base URL, never with a key in it). */
  endpoint: string;
  redact: Redactor;
}

/** Builds our ProviderError from an HTTP status and a body (parsed JSON or text). */
export function errorFromResponse(status: number, body: unknown, context: ErrorContext): ProviderError {
  const google = readGoogleError(body);
  const rawText = typeof body === "string" ? body : JSON.stringify(body ?? "");
  const excerpt = context.redact(rawText.slice(0, 500));
  const message = context.redact(google?.message ?? (rawText.trim() ? rawText.slice(0, 200) : "no response body"));
  const googleStatus = google?.status;
  const reason = google ? (detailOfType(google, "google.rpc.ErrorInfo")?.reason as string | undefined) : undefined;
  const details = { status, googleStatus, reason, excerpt, operation: context.operation };
  const label = `${status}${googleStatus ? ` ${googleStatus}` : ""}`;

  if (reason === "API_KEY_INVALID" || /API key not valid/i.test(message) || status === 401) {
    return new AuthenticationError(`The API key was rejected (${label}: ${message}). Check GEMINI_API_KEY.`, details);
  }
  if (status === 403 && /unregistered callers|API key/i.test(message)) {
    return new AuthenticationError(`No usable API key was sent (${label}: ${message}). Set GEMINI_API_KEY.`, details);
  }
  if (status === 429) {
    const retryDelayMs = google ? retryDelayOf(google) : undefined;
    const quota = google ? quotaOf(google) : undefined;
    // A daily quota comes with a RetryInfo of seconds, like a per-minute one: waiting it out
    // would only spend the rest of the run on refusals until midnight Pacific.
    if (quota?.window === "day") {
      return new QuotaExhaustedError(
        `The daily quota is used up (${label}: ${message}). Finished work is kept; run again after the quota resets.`,
        { ...details, retryDelayMs, quota },
      );
    }
    return new ProviderError(`Rate limited during ${context.operation} (${label}: ${message})`, {
      ...details,
      retryable: true,
      retryDelayMs,
      quota,
    });
  }
  return new ProviderError(`Gemini ${context.operation} request failed (${label}: ${message})`, {
    ...details,
    retryable: retryableStatuses.has(status),
  });
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Builds our error for a request that never got an HTTP answer. */
export function errorFromNetwork(error: unknown, context: ErrorContext, timedOut = false): ProviderError {
  const code = networkCode(error);
  if (timedOut) {
    return new ConnectionError(`Gemini ${context.operation} request timed out (${context.endpoint}).`, {
      operation: context.operation,
      retryable: true,
      cause: error,
    });
  }
  const retryable = code !== undefined && retryableNetworkCodes.has(code);
  const hint = retryable ? "" : " Check GEMINI_BASE_URL and your network.";
  return new ConnectionError(`Cannot reach ${context.endpoint} (${code ?? "connection error"}).${hint}`, {
    operation: context.operation,
    retryable,
    cause: error,
  });
}

/** Normalises anything a Gemini call throws (openai SDK errors included) into our error classes. */
export function normalizeError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof GemindexError) return error;
  if (error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError) return errorFromNetwork(error, context, true);
  if (error instanceof APIConnectionError) return errorFromNetwork(error.cause ?? error, context);
  if (error instanceof APIError && error.status !== undefined)
    return errorFromResponse(error.status, error.error, context);
  if (error instanceof Error && error.name === "TimeoutError") return errorFromNetwork(error, context, true);
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return errorFromNetwork(error, context);
  return error;
}

/**
 * Builds the error for a stream that broke off after it opened: an SSE `error` event (openai-node
 * throws an APIError without a status, holding Google's error object) or a dropped connection
 * (undici's "terminated"). Never retryable here: text may already have been shown.
 */
export function errorFromStream(error: unknown, context: ErrorContext): StreamInterruptedError {
  if (error instanceof APIError) {
    const google = readGoogleError(error.error);
    const label = [google?.code, google?.status].filter((part) => part !== undefined).join(" ");
    const message = context.redact(google?.message ?? error.message);
    return new StreamInterruptedError(
      `The ${context.operation} stream broke off: the service sent an error (${label ? `${label}: ` : ""}${message}).`,
      {
        status: typeof google?.code === "number" ? google.code : undefined,
        googleStatus: google?.status,
        operation: context.operation,
        cause: error,
      },
    );
  }
  const code = networkCode(error);
  const detail = context.redact(error instanceof Error ? error.message : String(error));
  return new StreamInterruptedError(
    `The ${context.operation} stream broke off: the connection dropped mid-answer (${code ?? detail}).`,
    { operation: context.operation, cause: error },
  );
}
