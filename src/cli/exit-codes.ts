import type { ErrorCode } from "../index.js";

/** Exit codes of the CLI (documented in the README). */
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
  /** `gemindex doctor` found the index unhealthy, or a command found it damaged (doctor --repair fixes it). */
  unhealthy: 6,
  /** A run stopped at its cost limit; finished work is kept and the next run continues. */
  budget: 7,
  /** Interrupted (Ctrl-C / SIGTERM) after committing finished work. */
  interrupted: 130,
} as const;

/** The exit code of each library error code (a new code does not compile until it is mapped here). */
const exitCodes: Record<ErrorCode, number> = {
  CONFIG: ExitCode.config,
  NO_INDEX: ExitCode.config,
  EMBEDDING_MISMATCH: ExitCode.config,
  LAYOUT_VERSION: ExitCode.config,
  NEEDS_API_KEY: ExitCode.config,
  NO_BATCH_API: ExitCode.config,
  NO_NATIVE_API: ExitCode.config,
  CONFLICTING_OPTIONS: ExitCode.config,
  INVALID_OPTION: ExitCode.config,
  UNKNOWN_MODEL: ExitCode.config,
  INDEX_LOCATION: ExitCode.config,
  STORAGE_ACCESS: ExitCode.config,
  BATCH_UNKNOWN: ExitCode.config,
  AUTH: ExitCode.config,
  BATCH_INPUT: ExitCode.internal,
  BATCH_STATE: ExitCode.internal,
  BATCH_INCOMPLETE: ExitCode.internal,
  UPLOAD_SOURCE_CHANGED: ExitCode.internal,
  STORE: ExitCode.internal,
  INTERNAL: ExitCode.internal,
  CONNECTION: ExitCode.provider,
  PROVIDER: ExitCode.provider,
  STREAM_INTERRUPTED: ExitCode.provider,
  INVALID_ANSWER: ExitCode.provider,
  NO_OUTPUT: ExitCode.provider,
  QUOTA_EXHAUSTED: ExitCode.provider,
  CACHE_NOT_FOUND: ExitCode.provider,
  CACHE_TOO_SMALL: ExitCode.provider,
  BUDGET_REACHED: ExitCode.budget,
  LOCKED: ExitCode.locked,
  DAMAGED: ExitCode.unhealthy,
  LOAD: ExitCode.someFilesFailed,
  ABORTED: ExitCode.interrupted,
};

/** The exit code for an error code (from a thrown error or a report); unknown codes are internal errors. */
export function exitCodeOf(code: string): number {
  return Object.hasOwn(exitCodes, code) ? exitCodes[code as ErrorCode]! : ExitCode.internal;
}
