/** The emulator clock: real time plus an offset that tests move with `advanceTime`. */
export class Clock {
  #offset = 0;

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceTime needs a finite ms >= 0, got ${ms}`);
    this.#offset += ms;
  }

  reset(): void {
    this.#offset = 0;
  }

  /** RFC 3339 UTC with a microsecond fraction, as Google formats timestamps. */
  iso(ms = this.now()): string {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
  }

  /** Unix seconds. */
  seconds(ms = this.now()): number {
    return Math.floor(ms / 1000);
  }
}
