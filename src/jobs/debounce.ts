/** Timer functions, replaceable by a manual clock in tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/**
 * Calls `fire` once things have been quiet for `quietMs` after the last `poke()`, or `maxWaitMs`
 * after the first poke of a burst at the latest, so a steady trickle of changes cannot postpone
 * it forever. A poke after `fire` starts a new burst.
 */
export class Debouncer {
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #fire: () => void;
  readonly #timers: Timers;
  #handle: unknown;
  #burstStart: number | undefined;

  constructor(options: { quietMs: number; maxWaitMs: number; fire: () => void; timers?: Timers }) {
    this.#quietMs = options.quietMs;
    this.#maxWaitMs = Math.max(options.maxWaitMs, options.quietMs);
    this.#fire = options.fire;
    this.#timers = options.timers ?? realTimers;
  }

  /** True while a call of `fire` is scheduled. */
  get pending(): boolean {
    return this.#handle !== undefined;
  }

  poke(): void {
    const now = this.#timers.now();
    this.#burstStart ??= now;
    const due = Math.min(now + this.#quietMs, this.#burstStart + this.#maxWaitMs);
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = this.#timers.setTimeout(() => {
      this.#handle = undefined;
      this.#burstStart = undefined;
      this.#fire();
    }, due - now);
  }

  cancel(): void {
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#burstStart = undefined;
  }
}
