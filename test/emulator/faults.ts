/** Queued failures injected by tests (`emulator.inject`), matched in order. */
import type { Fault } from "./types.js";

/** Exact path, path suffix, or RegExp. Shared with `emulator.requests()`. */
export function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern !== "string") return pattern.test(path);
  return path === pattern || path.endsWith(pattern.startsWith("/") ? pattern : `/${pattern}`);
}

export class FaultQueue {
  #queue: { fault: Fault; remaining: number }[] = [];

  add(fault: Fault): void {
    this.#queue.push({ fault, remaining: fault.times ?? 1 });
  }

  /** The first fault matching this request, consumed once; mid-stream faults only match streams. */
  take(method: string, path: string, isStream: boolean): Fault | undefined {
    const index = this.#queue.findIndex(
      ({ fault }) =>
        (fault.method === undefined || fault.method.toUpperCase() === method) &&
        pathMatches(fault.path, path) &&
        (fault.afterStreamChunks === undefined || isStream),
    );
    const entry = this.#queue[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#queue.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.#queue = [];
  }
}
