import { setTimeout as sleep } from "node:timers/promises";
import { isAbort, ProviderError, QuotaExhaustedError } from "../errors.js";

/** How remote calls are retried. One policy wraps every call, SDK or native; nothing retries on top. */
export interface RetryPolicy {
  /** Attempts in all, the first included, for server errors and timeouts. @default 6 */
  maxAttempts: number;
  /**
   * How long one call may keep waiting out rate limits (429) in all. Rate limits are normal
   * under a quota, so they are retried by time spent, not by attempts. @default 900000 (15 min)
   */
  maxRateLimitedMs: number;
  /** First backoff delay when the service gives no hint. @default 1000 */
  baseDelayMs: number;
  /** Longest single wait. A server-requested delay above it means the quota will not come back soon. @default 60000 */
  maxDelayMs: number;
  /** Fraction of each delay added at random so parallel workers do not retry in lockstep. @default 0.2 */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  maxRateLimitedMs: 900_000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

/** Told before each wait, e.g. to show "rate limited, retrying in 12 s". */
export interface RetryNotice {
  operation: string;
  attempt: number;
  delayMs: number;
  /** When the next attempt starts (ms since the epoch). */
  resumeAt: number;
  error: ProviderError;
  /** Settles when the wait is over (the next attempt starts, or the call gives up on a stop or abort). */
  resumed: Promise<void>;
}

export interface WithRetryOptions {
  policy?: Partial<RetryPolicy>;
  /** Cancels the call, the attempt in flight included. */
  signal?: AbortSignal;
  /**
   * A graceful stop: ends a wait between attempts at once and starts no further attempt (the
   * attempt in flight, which may be paid for, is left to finish). Throws `stop.reason`.
   */
  stop?: AbortSignal;
  /**
   * Vetoes retrying an otherwise retryable error, e.g. a 429 for a quota the request is too big
   * to ever pass, which only a smaller request can get through.
   */
  retryIf?: (error: ProviderError) => boolean;
  onRetry?: (notice: RetryNotice) => void;
  /** Turns anything thrown into a ProviderError (or returns it unchanged when it already is one). */
  normalize: (error: unknown) => unknown;
  /** Used instead of the real timer (tests of the policy itself). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** The delay before retry `attempt` (1-based): the server's RetryInfo when given, else capped exponential backoff. */
export function retryDelay(
  error: ProviderError,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const base = error.retryDelayMs ?? Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.round(base * (1 + policy.jitter * random()));
}

/**
 * Runs `call`, retrying retryable ProviderErrors (429 / 500 / 503 / 504, timeouts, resets) with
 * Gemini's `RetryInfo.retryDelay` or jittered exponential backoff. A 429 whose requested delay is
 * longer than `maxDelayMs` becomes a QuotaExhaustedError instead of a long sleep. Aborts pass
 * through untouched and are never retried.
 */
export async function withRetry<T>(
  operation: string,
  call: (attempt: number) => Promise<T>,
  options: WithRetryOptions,
): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...options.policy };
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const { signal, stop } = options;
  const waitSignal = stop && signal ? AbortSignal.any([signal, stop]) : (stop ?? signal);
  let rateLimitedMs = 0;
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    stop?.throwIfAborted();
    try {
      return await call(attempt);
    } catch (thrown) {
      if (isAbort(thrown, signal) || signal?.aborted) throw signal?.reason ?? thrown;
      const error = options.normalize(thrown);
      if (!(error instanceof ProviderError) || !error.retryable) throw error;
      if (options.retryIf && !options.retryIf(error)) throw error;
      if (error.retryDelayMs !== undefined && error.retryDelayMs > policy.maxDelayMs) {
        throw new QuotaExhaustedError(
          `${error.message} — the service asks to wait ${Math.ceil(error.retryDelayMs / 1000)} s, longer than the ` +
            `retry cap of ${policy.maxDelayMs / 1000} s.`,
          {
            status: error.status,
            googleStatus: error.googleStatus,
            retryDelayMs: error.retryDelayMs,
            operation,
            quota: error.quota,
            cause: error,
          },
        );
      }
      const rateLimited = error.status === 429;
      if (!rateLimited && ++failures >= policy.maxAttempts) throw error;
      const delayMs = retryDelay(error, rateLimited ? attempt : failures, policy, options.random);
      if (rateLimited) rateLimitedMs += delayMs;
      if (rateLimited && rateLimitedMs > policy.maxRateLimitedMs) throw error;
      stop?.throwIfAborted();
      let resume = () => {};
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      options.onRetry?.({ operation, attempt, delayMs, resumeAt: Date.now() + delayMs, error, resumed });
      try {
        await wait(delayMs, waitSignal);
      } catch (aborted) {
        if (stop?.aborted && !signal?.aborted) throw stop.reason;
        throw aborted;
      } finally {
        resume();
      }
    }
  }
}
