import { setTimeout as sleep } from "node:timers/promises";

export interface PacerOptions {
  /** Requests per minute; undefined: no request limit. */
  rpm?: number;
  /** Tokens per minute; undefined: no token limit. */
  tpm?: number;
  /** Clock and sleep, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each wait, with the limit that made it. */
  onWait?: (wait: PacerWait) => void;
}

/** A wait the pacer is about to make. */
export interface PacerWait {
  delayMs: number;
  /** Which per-minute limit the request's reservation was sized by. */
  limit: "requests" | "tokens";
  rpm?: number;
  tpm?: number;
}

/** What one request costs against the per-minute limits. */
export interface RequestCost {
  /** Requests the service counts (for Gemini embeddings: the inputs). @default 1 */
  requests?: number;
  tokens: number;
}

/**
 * The window a per-minute quota is judged over, with 1% to spare: a request delayed in transit must not land in the
 * previous minute.
 */
const WINDOW_MS = 60_600;

/**
 * Spaces request starts so that no 60-second window holds more than `rpm` requests or `tpm`
 * tokens. Each request reserves `max(requests·60000/rpm, tokens·60000/tpm)` ms of a shared
 * timeline (smooth pacing, not a burst-then-wait bucket, so throughput stays at the quota-bound
 * rate), and starts no earlier than the sliding window of recent starts has room for it — spacing
 * alone would let a window hold the quota plus one request, which the service refuses. Limits can
 * tighten mid-run (a quota learned from a 429).
 */
export class RequestPacer {
  #rpm?: number;
  #tpm?: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #onWait?: (wait: PacerWait) => void;
  #next = 0;
  /** Starts granted within the last window, in order (starts never go backwards). */
  #recent: Array<{ at: number; requests: number; tokens: number }> = [];

  constructor(options: PacerOptions = {}) {
    this.#rpm = options.rpm;
    this.#tpm = options.tpm;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.#onWait = options.onWait;
  }

  /** True when any limit is set. */
  get active(): boolean {
    return this.#rpm !== undefined || this.#tpm !== undefined;
  }

  get limits(): { rpm?: number; tpm?: number } {
    return { rpm: this.#rpm, tpm: this.#tpm };
  }

  /** Replaces the limits for requests from now on. */
  setLimits(limits: { rpm?: number; tpm?: number }): void {
    this.#rpm = limits.rpm;
    this.#tpm = limits.tpm;
  }

  /**
   * The earliest time from `from` at which the window ending then holds room for this request
   * (`from` itself when a request is larger than a whole limit: only the service can refuse it).
   */
  #roomAt(from: number, requests: number, tokens: number): number {
    const fits = (at: number) => {
      let usedRequests = requests;
      let usedTokens = tokens;
      for (const entry of this.#recent) {
        if (entry.at <= at - WINDOW_MS) continue;
        usedRequests += entry.requests;
        usedTokens += entry.tokens;
      }
      return (
        (this.#rpm === undefined || usedRequests <= this.#rpm) && (this.#tpm === undefined || usedTokens <= this.#tpm)
      );
    };
    if (fits(from)) return from;
    for (const entry of this.#recent) {
      const at = entry.at + WINDOW_MS;
      if (at > from && fits(at)) return at;
    }
    return from;
  }

  /**
   * Waits until a request of this cost may start (a bare number is its tokens, one request).
   * Resolves with the milliseconds it waited (0: the quota did not hold it back).
   */
  async acquire(cost: RequestCost | number, signal?: AbortSignal): Promise<number> {
    if (!this.active) return 0;
    const { requests = 1, tokens } = typeof cost === "number" ? { tokens: cost } : cost;
    const byRequests = this.#rpm ? (requests * 60_000) / this.#rpm : 0;
    const byTokens = this.#tpm ? (tokens * 60_000) / this.#tpm : 0;
    // A 1% margin: a request delayed in transit must not let the service count one too many in its window.
    const reserve = 1.01 * Math.max(byRequests, byTokens);
    const now = this.#now();
    const start = this.#roomAt(Math.max(now, this.#next), requests, tokens);
    this.#next = start + reserve;
    this.#recent = this.#recent.filter((entry) => entry.at > start - WINDOW_MS);
    this.#recent.push({ at: start, requests, tokens });
    if (start <= now) return 0;
    this.#onWait?.({
      delayMs: start - now,
      limit: byTokens > byRequests ? "tokens" : "requests",
      ...(this.#rpm === undefined ? {} : { rpm: this.#rpm }),
      ...(this.#tpm === undefined ? {} : { tpm: this.#tpm }),
    });
    await this.#sleep(start - now, signal);
    return start - now;
  }
}
