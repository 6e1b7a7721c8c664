import type { Store } from "../store/open-store.js";
import type { VectorLog } from "../store/vector-log.js";

/**
 * Vectors already paid for, by chunk-text hash: those committed with chunks in the index, and
 * those in the vector log (embedded by an interrupted run, or earlier in this one, not yet
 * committed). A chunk whose hash is known is never sent to the service again.
 */
export class KnownVectors {
  /** Hashes of chunks with vectors in the index (grows as the run commits). */
  readonly indexed: Set<string>;
  readonly #store: Store;
  readonly #log?: VectorLog;
  #recovered = 0;

  constructor(store: Store, indexed: Set<string>, log?: VectorLog) {
    this.#store = store;
    this.indexed = indexed;
    this.#log = log;
  }

  has(hash: string): boolean {
    return this.indexed.has(hash) || this.#log?.has(hash) === true;
  }

  /** Vectors an earlier, interrupted run paid for that this run took from the log. */
  get recovered(): number {
    return this.#recovered;
  }

  /** The vectors of those `hashes` that are known: from the index first, then from the log. */
  async get(hashes: readonly string[]): Promise<Map<string, Float32Array>> {
    const inIndex = hashes.filter((hash) => this.indexed.has(hash));
    const found = inIndex.length > 0 ? await this.#store.vectorsByHash(inIndex) : new Map<string, Float32Array>();
    const log = this.#log;
    if (!log) return found;
    const rest = hashes.filter((hash) => !found.has(hash) && log.has(hash));
    if (rest.length === 0) return found;
    for (const [hash, vector] of await log.read(rest)) {
      found.set(hash, vector);
      if (log.inherited(hash)) this.#recovered++;
    }
    return found;
  }
}
