import { setTimeout as sleep } from "node:timers/promises";

export interface PacerOptions {
  /** Requests per minute; undefined: no request limit. */
  rpm?: number;
  /** Tokens per minute; undefined: no token limit. */
  tpm?: number;
  /** Clock and sleep, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Spaces request starts so that no 60-second window holds more than `rpm` requests or `tpm`
 * tokens: each request reserves `max(60000/rpm, tokens·60000/tpm)` ms of a shared timeline.
 * Smooth pacing, not a burst-then-wait bucket, so a per-minute quota is never overrun and
 * throughput stays at the quota-bound rate.
 */
export class RequestPacer {
  readonly #rpm?: number;
  readonly #tpm?: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #next = 0;

  constructor(options: PacerOptions = {}) {
    this.#rpm = options.rpm;
    this.#tpm = options.tpm;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal }));
  }

  /** True when any limit is set. */
  get active(): boolean {
    return this.#rpm !== undefined || this.#tpm !== undefined;
  }

  /** Waits until a request of `tokens` may start. */
  async acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    if (!this.active) return;
    // A 1% margin: a request delayed in transit must not let the service count one too many in its window.
    const cost = 1.01 * Math.max(this.#rpm ? 60_000 / this.#rpm : 0, this.#tpm ? (tokens * 60_000) / this.#tpm : 0);
    const now = this.#now();
    const start = Math.max(now, this.#next);
    this.#next = start + cost;
    if (start > now) await this.#sleep(start - now, signal);
  }
}
