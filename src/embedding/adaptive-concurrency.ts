/**
 * Concurrency that follows the quota: halved when the service rate-limits (429), grown by one
 * after a run of clean requests, between 1 and `max` (additive increase, multiplicative decrease,
 * as TCP does). Embedding requests wait on the retry policy's RetryInfo delay in any case; this
 * keeps the number of requests colliding with the limit small.
 */
export class AdaptiveConcurrency {
  readonly max: number;
  #current: number;
  #clean = 0;
  readonly #listeners = new Set<(value: number) => void>();

  constructor(max: number) {
    this.max = Math.max(1, max);
    this.#current = this.max;
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  follow(listener: (value: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get current(): number {
    return this.#current;
  }

  /** A request was rate-limited. */
  rateLimited(): void {
    this.#clean = 0;
    this.#set(Math.max(1, Math.floor(this.#current / 2)));
  }

  /** A request succeeded without being rate-limited. */
  succeeded(): void {
    if (this.#current >= this.max) return;
    if (++this.#clean >= this.#current * 2) {
      this.#clean = 0;
      this.#set(this.#current + 1);
    }
  }

  #set(value: number): void {
    if (value === this.#current) return;
    this.#current = value;
    for (const listener of this.#listeners) listener(value);
  }
}
