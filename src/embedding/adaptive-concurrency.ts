/** Where concurrency starts, and how far it may grow. */
export interface AdaptiveConcurrencyOptions {
  /** Requests in flight at first. @default 4 (or `max` when lower) */
  start?: number;
  /** The most requests in flight ever (`--concurrency`). @default 32 */
  max?: number;
  /**
   * The most requests in flight the quota allows now (see QuotaPlan.requestsPerWindow); undefined
   * when no quota is known. Concurrency never goes above it.
   */
  ceiling?: () => number | undefined;
}

/** The concurrency a run starts with, and the default cap. */
export const DEFAULT_START_CONCURRENCY = 4;
export const DEFAULT_MAX_CONCURRENCY = 32;

/**
 * Concurrency that follows the service, additive increase and multiplicative decrease as TCP
 * does: it starts at `start`, grows by one for each request that succeeds without having waited
 * for the quota (a latency-bound run: more in flight means more done), and is halved on a 429
 * whose QuotaFailure names a per-minute quota — once per window: the 429s of requests that were
 * already in flight when it was halved were sent at the old rate and do not halve it again.
 * After a halving it grows by one per window of successes instead of one per success. A 429
 * without a per-minute quota (the service short of capacity for a moment) is only retried after
 * its RetryInfo and changes nothing here. It never exceeds `max` nor what the quota allows.
 */
export class AdaptiveConcurrency {
  readonly max: number;
  readonly #ceiling?: () => number | undefined;
  #current: number;
  /** Requests started so far; a request's ticket is its number. */
  #started = 0;
  /** Requests started when concurrency was last halved: later 429s of these belong to that window. */
  #windowEnd = 0;
  /** Whether a quota 429 was seen (then growth is one per window, not one per success). */
  #limited = false;
  #credit = 0;
  readonly #listeners = new Set<(value: number) => void>();

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    this.max = Math.max(1, options.max ?? DEFAULT_MAX_CONCURRENCY);
    this.#ceiling = options.ceiling;
    this.#current = this.#bounded(options.start ?? DEFAULT_START_CONCURRENCY);
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  follow(listener: (value: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Requests allowed in flight now. */
  get current(): number {
    const bounded = this.#bounded(this.#current);
    if (bounded !== this.#current) this.#set(bounded);
    return this.#current;
  }

  /** A request is sent: returns its ticket, for `succeeded` and `quotaLimited`. */
  started(): number {
    return ++this.#started;
  }

  /**
   * A request succeeded. One that waited for the quota's pacing says the quota, not latency,
   * sets the pace: more requests in flight would only wait too, so it does not grow.
   */
  succeeded(options: { paced?: boolean } = {}): void {
    if (options.paced) {
      this.#set(this.#bounded(this.#current));
      return;
    }
    if (this.#limited && ++this.#credit < this.#current) return;
    this.#credit = 0;
    this.#set(this.#bounded(this.#current + 1));
  }

  /** A request (by its ticket) was refused for a per-minute quota: halve, once per window. */
  quotaLimited(ticket: number): void {
    if (ticket <= this.#windowEnd) return;
    this.#windowEnd = this.#started;
    this.#limited = true;
    this.#credit = 0;
    this.#set(this.#bounded(Math.floor(this.#current / 2)));
  }

  #bounded(value: number): number {
    const ceiling = this.#ceiling?.();
    return Math.max(1, Math.min(value, this.max, ceiling ?? Number.POSITIVE_INFINITY));
  }

  #set(value: number): void {
    if (value === this.#current) return;
    this.#current = value;
    for (const listener of this.#listeners) listener(value);
  }
}
