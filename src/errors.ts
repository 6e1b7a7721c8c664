/**
 * The error hierarchy every module throws, and the convention for what the library says.
 *
 * THE CORE SPEAKS FACTS, THE CLI WORDS THEM.
 * - Every error the library throws on purpose is a GemindexError with a stable `code` (the
 *   {@link ErrorCode} union below: add a code there when a caller may need to tell a new case
 *   apart) and, where a caller could act on it, `data` with the facts (paths, ids, limits, the
 *   option at fault) typed in {@link ErrorData}. The `message` says what happened and what to do
 *   in the library's own terms: option names (`reset`, `prune`, `dimensions`), never CLI flags
 *   (`--reset`), never CLI commands (`gemindex optimize`), never an exit code.
 * - Errors carry no exit code. `src/cli/exit-codes.ts` maps each code to the process exit code
 *   (an exhaustive record: a new code does not compile until the CLI maps it), and
 *   `src/cli/describe.ts` words the codes whose advice names a flag or a command.
 * - Things a caller should know that are not errors are notices: `{ kind, message, ...data }`
 *   from the {@link Notice} union in `src/notices.ts`, never bare strings. The CLI renders them by
 *   `kind` (and may hide a kind); it never matches a notice's text.
 * - Run reports and run records keep an error as `{ code, message, data? }` (see ErrorInfo).
 * `cause` keeps the original error. Aborts are never wrapped: callers get their own
 * `signal.reason` back.
 */

/** Every stable error code. A caller switches on these; the CLI maps each to an exit code. */
export type ErrorCode =
  /** Invalid settings, options or pipeline files (the generic case). */
  | "CONFIG"
  /** An operation needs an index that does not exist yet. */
  | "NO_INDEX"
  /** The index is built with another embedding model or size than the one asked for. */
  | "EMBEDDING_MISMATCH"
  /** The index was written with another layout version. */
  | "LAYOUT_VERSION"
  /** The operation needs an API key and none is configured. */
  | "NEEDS_API_KEY"
  /** The service at the configured base URL offers no Batch API. */
  | "NO_BATCH_API"
  /** Something needs Gemini's native API (task types), which the service at the base URL does not offer. */
  | "NO_NATIVE_API"
  /** Two options that cannot be combined were both given. */
  | "CONFLICTING_OPTIONS"
  /** One option has a value it cannot take. */
  | "INVALID_OPTION"
  /** A model id the service does not offer (not in its model list, or not for this use). */
  | "UNKNOWN_MODEL"
  /** The index location is not a folder (or LanceDB URI). */
  | "INDEX_LOCATION"
  /** The object store holding the index refused the request: credentials, bucket, region, endpoint, write access. */
  | "STORAGE_ACCESS"
  /** No Batch API job of that id is recorded in this index. */
  | "BATCH_UNKNOWN"
  /** A batch job's inputs are malformed. */
  | "BATCH_INPUT"
  /** A batch job's results were asked for before it succeeded. */
  | "BATCH_STATE"
  /** A collected batch job lacks a vector it should have. */
  | "BATCH_INCOMPLETE"
  /** A file changed while it was being uploaded. */
  | "UPLOAD_SOURCE_CHANGED"
  /** The service rejected the credentials. */
  | "AUTH"
  /** The service could not be reached. */
  | "CONNECTION"
  /** A remote call failed (after retries). */
  | "PROVIDER"
  /** The model answered without usable output (e.g. a safety stop): that input's fault, not the run's. */
  | "NO_OUTPUT"
  /** A streamed answer broke off. */
  | "STREAM_INTERRUPTED"
  /** The model's answer did not match the JSON Schema asked for, even when asked again. */
  | "INVALID_ANSWER"
  /** A quota that will not come back soon (daily limit, spend cap). */
  | "QUOTA_EXHAUSTED"
  /** The context cache named does not exist (expired or deleted). */
  | "CACHE_NOT_FOUND"
  /** The context is smaller than the model's minimum for a cache. */
  | "CACHE_TOO_SMALL"
  /** A run reached its cost limit. */
  | "BUDGET_REACHED"
  /** The index could not be read or written. */
  | "STORE"
  /** Another process is writing to this index. */
  | "LOCKED"
  /** Tables of the index are missing or unreadable: it needs a repair (or a reset). */
  | "DAMAGED"
  /** One file could not be loaded. */
  | "LOAD"
  /** The caller's signal stopped the operation (reports only; aborts themselves are not wrapped). */
  | "ABORTED"
  /** Anything else: a bug or an unexpected failure. */
  | "INTERNAL";

/** The facts each code carries in `data`, for the codes whose callers act on them. */
export interface ErrorData {
  NO_INDEX: { uri: string };
  EMBEDDING_MISMATCH: { uri: string; built: string; requested: string };
  LAYOUT_VERSION: { uri: string; found: number; expected: number };
  /**
   * `feature`: what needs the key ("answers", "chat", "batch", "caches", "eval", "index": adding to an
   * embedded index at `uri`, built with `built`); `option`: the option that asked for it; `modes`: search modes.
   */
  NEEDS_API_KEY: { feature: string; uri?: string; built?: string; option?: string; modes?: string[] };
  /** `option`/`value`: the option that asked for it (e.g. batch "always"), if any. */
  NO_BATCH_API: { option?: string; value?: string };
  /**
   * `feature`: what needs the native API ("task types"); `baseURL`: the compat base URL in use;
   * `uri`/`built`: the index that recorded it, when an index did.
   */
  NO_NATIVE_API: { feature: string; baseURL: string; uri?: string; built?: string };
  /** Library option names, e.g. ["pin", "cachedContent"], and why they cannot be combined. */
  CONFLICTING_OPTIONS: { options: [string, string]; reason: string };
  /** A library option name and what it accepts. */
  INVALID_OPTION: { option: string; expected: string; got?: string };
  /** `model` as given, what it was for, and the nearest ids the service does offer for that use. */
  UNKNOWN_MODEL: { model: string; kind: "embedding" | "chat"; suggestions: string[] };
  INDEX_LOCATION: { uri: string };
  /** `variables`: the environment variables that fix it (never their values). */
  STORAGE_ACCESS: {
    uri: string;
    problem: "credentials" | "bucket" | "region" | "endpoint" | "read-only";
    variables: string[];
  };
  DAMAGED: { uri: string; tables: TableDamageInfo[] };
  BATCH_UNKNOWN: { id: string };
  CACHE_NOT_FOUND: { name: string };
}

/** A table of the index that is gone or cannot be read (see IndexDamagedError). */
export interface TableDamageInfo {
  table: string;
  problem: "missing" | "unreadable";
  reason: string;
}

/** An error as reports and run records keep it (and `--json` prints it). */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  data?: Record<string, unknown>;
}

export interface GemindexErrorOptions {
  cause?: unknown;
  /** A more specific code than the class's (e.g. NO_INDEX for a ConfigError). */
  code?: ErrorCode;
  /** Facts for callers; typed per code in ErrorData. */
  data?: Record<string, unknown>;
}

/** Base class of every error gemindex throws on purpose. */
export class GemindexError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Facts about the failure (see ErrorData); empty when there is nothing to add to the message. */
  readonly data: Readonly<Record<string, unknown>>;

  constructor(message: string, code: ErrorCode = "INTERNAL", options: GemindexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? code;
    this.data = options.data ?? {};
  }

  /** The error as a report keeps it. */
  toInfo(): ErrorInfo {
    return Object.keys(this.data).length > 0
      ? { code: this.code, message: this.message, data: { ...this.data } }
      : { code: this.code, message: this.message };
  }
}

/** True when `error` (thrown or kept in a report) has `code`; narrows `data` to its ErrorData shape. */
export function hasCode<C extends keyof ErrorData>(
  error: unknown,
  code: C,
): error is { code: C; message: string; data: ErrorData[C] } {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** Any thrown value as a report keeps it: a GemindexError's code and data, else INTERNAL. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof GemindexError) return error.toInfo();
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}

/** Invalid settings, options or pipeline files; also an index whose embedding configuration does not match. */
export class ConfigError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "CONFIG", options);
  }
}

/** An operation needs an index that does not exist yet. */
export function noIndexError(uri: string): ConfigError {
  return new ConfigError(`There is no index at ${uri} yet: index some files first.`, {
    code: "NO_INDEX",
    data: { uri },
  });
}

/** `feature` (see ErrorData.NEEDS_API_KEY) needs an API key; `message` says what works without one. */
export function needsApiKeyError(
  feature: string,
  message: string,
  data: Omit<ErrorData["NEEDS_API_KEY"], "feature"> = {},
): ConfigError {
  return new ConfigError(message, { code: "NEEDS_API_KEY", data: { feature, ...data } });
}

/** The quota a 429 names (Google's `QuotaFailure`), as far as a client can act on it. */
export interface QuotaViolation {
  /** What the quota counts: requests (for Gemini embeddings, each input) or input tokens. */
  unit: "requests" | "tokens";
  /** The quota's window. */
  window: "minute" | "day";
  /** The limit (`quotaValue`), when the service gave a usable one. */
  limit?: number;
  /** The service's id for the quota, e.g. `EmbedContentInputTokensPerMinutePerUserPerProjectPerModel-FreeTier`. */
  id: string;
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
  /** Facts for callers beyond the fields above (see ErrorData). */
  data?: Record<string, unknown>;
  /** For a 429: the quota it names. */
  quota?: QuotaViolation;
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
  readonly quota?: QuotaViolation;

  constructor(message: string, details: ProviderErrorDetails = {}, code: ErrorCode = "PROVIDER") {
    super(message, code, { cause: details.cause, data: details.data });
    this.status = details.status;
    this.googleStatus = details.googleStatus;
    this.reason = details.reason;
    this.retryable = details.retryable ?? false;
    this.retryDelayMs = details.retryDelayMs;
    this.excerpt = details.excerpt;
    this.operation = details.operation;
    this.quota = details.quota;
  }
}

/** The service rejected the credentials (bad or missing API key). Never retried. */
export class AuthenticationError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "AUTH");
  }
}

/** The service could not be reached at all (DNS, refused connection, TLS). */
export class ConnectionError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, details, "CONNECTION");
  }
}

/**
 * A streamed answer broke off before the model finished: the connection dropped, the service sent
 * an error event, or the stream ended without a finish reason (a proxy cutting it). Whatever was
 * streamed before it is partial.
 */
export class StreamInterruptedError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "STREAM_INTERRUPTED");
  }
}

/** A quota that will not come back soon (daily limit, spend cap): the run stops cleanly. */
export class QuotaExhaustedError extends ProviderError {
  constructor(message: string, details: ProviderErrorDetails = {}) {
    super(message, { ...details, retryable: false }, "QUOTA_EXHAUSTED");
  }
}

/** A run reached its cost limit (`maxCostUsd`): it stops cleanly, finished work committed. */
export class BudgetExceededError extends GemindexError {
  constructor(message: string) {
    super(message, "BUDGET_REACHED");
  }
}

/** The model's answer did not have the shape asked for (a JSON Schema), even when asked again. */
export class InvalidAnswerError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "INVALID_ANSWER", options);
  }
}

/** The index could not be read or written. */
export class StoreError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "STORE", options);
  }
}

/**
 * Tables of the index are missing or unreadable (a deleted folder, a truncated file): `gemindex
 * doctor` says what, `gemindex doctor --repair` fixes it. `tables` names each damaged table.
 */
export class IndexDamagedError extends GemindexError {
  readonly tables: ReadonlyArray<TableDamageInfo>;

  constructor(uri: string, tables: ReadonlyArray<TableDamageInfo>, options: GemindexErrorOptions = {}) {
    super(
      `The index at ${uri} is damaged ` +
        `(${tables.map((table) => `${table.table} table ${table.problem}`).join(", ")}): ` +
        "repair it, or rebuild it from scratch (reset).",
      "DAMAGED",
      { ...options, data: { uri, tables: tables.map((table) => ({ ...table })) } },
    );
    this.tables = tables;
  }
}

/** Another process is writing to this index. */
export class IndexLockedError extends GemindexError {
  constructor(message: string, options: GemindexErrorOptions = {}) {
    super(message, "LOCKED", options);
  }
}

/** One file could not be loaded; it becomes a line in the run report, never aborts a run. */
export class LoadError extends GemindexError {
  /** The file that failed. */
  readonly path: string;
  /** Why, in a few words ("not valid UTF-8", "encrypted PDF", ...). */
  readonly reason: string;

  constructor(path: string, reason: string, options: GemindexErrorOptions = {}) {
    super(`${path}: ${reason}`, "LOAD", options);
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
