import type { EmbedItem, EmbedResultItem, FailedEmbedItem } from "./embed-chunks.js";

/**
 * An item with its vector (or the service's refusal), and whether that came from another item
 * with the same key (not paid for again: the same text is refused the same way).
 */
export type DistinctEmbedded<T> = EmbedResultItem<T> & { shared: boolean };

/** What the first item of a key came back with. */
type Outcome =
  | { vector: Float32Array; failure?: undefined }
  | { vector?: undefined; failure: FailedEmbedItem<unknown>["failure"] };

export interface EmbedDistinctOptions<T> {
  /** The identity of what gets embedded: items with equal keys get one vector. */
  keyOf: (item: EmbedItem<T>) => string;
  /**
   * A vector for a key embedded earlier and since forgotten (see {@link DistinctEmbeddings.forget}),
   * or undefined to embed it again.
   */
  lookup?: (key: string) => Promise<Float32Array | undefined>;
}

/** Shared items waiting to be yielded before the producer is held. */
const MAX_READY = 256;

/**
 * Embeds each distinct text of a run once: the first item with a key goes to the embedder, and
 * every later item with that key gets the same vector — at once when it has come back, or with
 * it when it is still in flight — so 100 copies of a file cost the inputs of one. Vectors are
 * kept until {@link forget} (after their documents are committed, when the index can give them
 * back through `lookup`), so memory follows what is not yet written.
 */
export class DistinctEmbeddings<T> {
  readonly #entries = new Map<string, { outcome?: Outcome; followers: Array<EmbedItem<T>> }>();
  readonly #options: EmbedDistinctOptions<T>;

  constructor(options: EmbedDistinctOptions<T>) {
    this.#options = options;
  }

  /** Drops the vectors of `keys` (their documents are committed: `lookup` finds them from now on). */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry?.outcome && entry.followers.length === 0) this.#entries.delete(key);
    }
  }

  /**
   * Streams `items` through `embed` (which sees each key once) and yields every item with its
   * vector, shared ones as soon as their vector is known. Order is not kept.
   */
  async *embed(
    items: AsyncIterable<EmbedItem<T>>,
    embed: (items: AsyncIterable<EmbedItem<T>>) => AsyncIterable<Array<EmbedResultItem<T>>>,
  ): AsyncGenerator<Array<DistinctEmbedded<T>>> {
    const ready: Array<DistinctEmbedded<T>> = [];
    let wake: (() => void) | undefined;
    let drained: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const share = async (item: EmbedItem<T>, outcome: Outcome) => {
      ready.push({ ...item, ...outcome, shared: true } as DistinctEmbedded<T>);
      notify();
      if (ready.length >= MAX_READY) await new Promise<void>((resolve) => (drained = resolve));
    };
    const entries = this.#entries;
    const { keyOf, lookup } = this.#options;
    async function* firsts(): AsyncGenerator<EmbedItem<T>> {
      for await (const item of items) {
        const key = keyOf(item);
        const entry = entries.get(key);
        if (entry?.outcome) await share(item, entry.outcome);
        else if (entry) entry.followers.push(item);
        else {
          const known = await lookup?.(key);
          if (known) {
            entries.set(key, { outcome: { vector: known }, followers: [] });
            await share(item, { vector: known });
          } else {
            entries.set(key, { followers: [] });
            yield item;
          }
        }
      }
    }

    const inner = embed(firsts())[Symbol.asyncIterator]();
    // A request that fails after the consumer stopped listening must not become an unhandled rejection.
    const pull = () => {
      const promise = inner.next();
      promise.catch(() => {});
      return promise;
    };
    let next = pull();
    let finished = false;
    try {
      for (;;) {
        if (ready.length > 0) {
          const out = ready.splice(0);
          drained?.();
          drained = undefined;
          yield out;
          continue;
        }
        const woken = new Promise<"ready">((resolve) => (wake = () => resolve("ready")));
        const result = await Promise.race([next, woken]);
        if (result === "ready") continue;
        if (result.done) break;
        next = pull();
        yield this.#withFollowers(result.value, keyOf);
      }
      finished = true;
      if (ready.length > 0) yield ready.splice(0);
    } finally {
      if (!finished) await inner.return?.(undefined);
    }
  }

  /** A batch back from the embedder, with the items that waited for the same vectors. */
  #withFollowers(batch: Array<EmbedResultItem<T>>, keyOf: (item: EmbedItem<T>) => string): Array<DistinctEmbedded<T>> {
    const out: Array<DistinctEmbedded<T>> = [];
    for (const item of batch) {
      out.push({ ...item, shared: false });
      const entry = this.#entries.get(keyOf(item));
      if (!entry) continue;
      const outcome: Outcome = item.failure ? { failure: item.failure } : { vector: item.vector };
      entry.outcome = outcome;
      for (const follower of entry.followers.splice(0))
        out.push({ ...follower, ...outcome, shared: true } as DistinctEmbedded<T>);
    }
    return out;
  }
}
