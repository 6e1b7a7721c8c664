/**
 * The error hierarchy every module throws. Each class has a stable `code` and the process exit
 * code the CLI uses for it; messages say what to do next. `cause` keeps the original error.
 * Aborts are never wrapped: callers get their own `signal.reason` back.
 */

/** Exit codes used by the CLI (documented in the README). */
export const ExitCode = {
  ok: 0,
  /** An unexpected internal error. */
  internal: 1,
  /** Bad flags, bad configuration, a rejected API key. */
  config: 2,
  /** The run finished, but some files could not be indexed (see the report). */
  someFilesFailed: 3,
  /** The model provider failed (unreachable, quota exhausted, server errors after retries). */
  provider: 4,
  /** Another process holds the index lock. */
  locked: 5,
  /** `gemindex doctor` found the index unhealthy. */
  unhealthy: 6,
  /** A run stopped at its cost limit; finished work is kept and the next run continues. */
  budget: 7,
  /** Interrupted (Ctrl-C / SIGTERM) after committing finished work. */
  interrupted: 130,
} as const;

export interface GemindexErrorOptions {
  cause?: unknown;
}

/** Base class of every error gemindex throws on purpose. */
export class GemindexError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(
    message: string,
    code = "GEMINDEX_ERROR",
    exitCode: number = ExitCode.internal,
    options: GemindexErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Invalid settings, flags or pipeline files; also an index whose embedding configuration does not match. */
export class ConfigError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "CONFIG", ExitCode.config, options);
  }
}

export interface ProviderErrorDetails {
  /** HTTP status, when the service answered. */
  status?: number;
  /** Google's canonical status, e.g. `RESOURCE_EXHAUSTED`, `INVALID_ARGUMENT`. */
  googleStatus?: string;
  /** `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string;
  /** Whether the retry policy may try the call again. */
  retryable?: boolean;
  /** Server-requested delay before a retry (`RetryInfo.retryDelay`), in ms. */
  retryDelayMs?: number;
  /** A short excerpt of the response body (never the request, never the key). */
  excerpt?: string;
  /** Which operation failed, e.g. `embeddings`, `chat`. */
  operation?: string;
  cause?: unknown;
}

/** A remote model call failed. Carries the HTTP and Google status and whether it may be retried. */
export class ProviderError extends GemindexError {
  readonly status?: number;
  readonly googleStatus?: string;
  readonly reason?: string;
  readonly retryable: boolean;
  readonly retryDelayMs?: number;
  readonly excerpt?: string;
  readonly operation?: string;

  constructor(
    message: string,
    details: ProviderErrorDetails = {},
    code = "PROVIDER",
    exitCode: number = ExitCode.provider,
  ) {
    super(message, code, exitCode, { cause: details.cause });
    this.status = details.status;
    this.googleStatus = details.googleStatus;
    this.reason = details.reason;
    this.retryable = details.retryable ?? false;
    this.retryDelayMs = details.retryDelayMs;
    this.excerpt = details.excerpt;
    this.operation = details.operation;
  }
}

/** The service rejected the credentials (bad or missing API key). Never retried. */
export class AuthenticationError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "AUTH", ExitCode.config);
  }
}

/** The service could not be reached at all (DNS, refused connection, TLS). */
export class ConnectionError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, details, "CONNECTION", ExitCode.provider);
  }
}

/**
 * A streamed answer broke off before the model finished: the connection dropped, the service sent
 * an error event, or the stream ended without a finish reason (a proxy cutting it). Whatever was
 * streamed before it is partial.
 */
export class StreamInterruptedError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "STREAM_INTERRUPTED", ExitCode.provider);
  }
}

/** A quota that will not come back soon (daily limit, spend cap): the run stops cleanly. */
export class QuotaExhaustedError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "QUOTA_EXHAUSTED", ExitCode.provider);
  }
}

/** A run reached its cost limit (`maxCostUsd`): it stops cleanly, finished work committed. */
export class BudgetExceededError extends GemindexError {
  constructor(message: string) {
    super(message, "BUDGET_REACHED", ExitCode.budget);
  }
}

/** The index could not be read or written. */
export class StoreError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "STORE", ExitCode.internal, options);
  }
}

/** Another process is writing to this index. */
export class IndexLockedError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "LOCKED", ExitCode.locked, options);
  }
}

/** One file could not be loaded; it becomes a line in the run report, never aborts a run. */
export class LoadError extends GemindexError {
  /** The file that failed. */
  readonly path: string;
  /** Why, in a few words ("not valid UTF-8", "encrypted PDF", ...). */
  readonly reason: string;

  constructor(path: string, reason: string, options: GemindexErrorOptions = {}) {
    super(`${path}: ${reason}`, "LOAD", ExitCode.someFilesFailed, options);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * True when the service refused one input rather than the run: a 400 INVALID_ARGUMENT or 413 for
 * that request (an unsupported image type, an input too long, invalid content), or a model reply
 * with no usable output (code "NO_OUTPUT", e.g. a safety stop). The input's file fails with the
 * reason; other files go on. Bad keys, quotas, unreachable services and FAILED_PRECONDITION
 * (billing, region) are the run's.
 */
export function isInputFault(error: unknown): error is ProviderError {
  if (!(error instanceof ProviderError)) return false;
  if (error instanceof AuthenticationError || error instanceof QuotaExhaustedError || error instanceof ConnectionError)
    return false;
  if (error.code === "NO_OUTPUT") return true;
  if (error.status === 413) return true;
  return error.status === 400 && error.googleStatus !== "FAILED_PRECONDITION";
}

/** True when `error` is the abort reason of `signal` (or an AbortError): never wrap or retry these. */
export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && error === signal.reason) return true;
  return error instanceof Error && (error.name === "AbortError" || error.name === "APIUserAbortError");
}
