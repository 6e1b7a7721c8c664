/** Everything a handler may touch, created once per emulator and cleared by `reset()`. */
import type { BatchStore } from "./batches.js";
import type { CacheStore } from "./caches.js";
import type { Clock } from "./clock.js";
import type { FileStore } from "./files.js";
import type { RateLimiter } from "./limits.js";
import type { EmulatorOptions } from "./types.js";

export interface EmulatorState {
  /** The live options object (`emulator.options`). */
  options: EmulatorOptions;
  clock: Clock;
  files: FileStore;
  batches: BatchStore;
  caches: CacheStore;
  limits: RateLimiter;
  /** "http://127.0.0.1:PORT", for URLs the emulator hands out. */
  origin: string;
  /** Embedding requests since the last reset (numbers the draws of `transientRateLimits`). */
  embeddingRequests: number;
  /** Requests matching `path` wait for `released` (see `Emulator.hold`). */
  held?: { path?: string | RegExp; released: Promise<void>; release: () => void };
}
