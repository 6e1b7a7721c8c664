import PQueue from "p-queue";
import { countTokens } from "../chunking/tokens.js";
import type { Embedder, MediaInput } from "../providers/types.js";
import type { AdaptiveConcurrency } from "./adaptive-concurrency.js";
import { type Entry, embedRequest, entryTokens, type RequestContext } from "./embed-request.js";
import { billedTokens, inputBudget, inputTokenBound, splitToFit } from "./input-size.js";
import { collapseLayout } from "./layout-padding.js";
import type { QuotaPlan, RequestCaps } from "./quota-plan.js";

/** One text to embed, with whatever the caller needs to put the vector back (`tag`). */
export interface EmbedItem<T> {
  /** The text as stored; what is sent has its layout padding collapsed (see collapseLayout). */
  text: string;
  /** Token estimate of `text`. */
  tokens: number;
  /** Document title, for embedding forms that take one. */
  title?: string;
  /** Image bytes embedded together with `text` (multimodal embedders only; others embed the text). */
  media?: MediaInput;
  tag: T;
}

export interface EmbeddedItem<T> extends EmbedItem<T> {
  /** Unit-length vector of the embedder's dimensions. */
  vector: Float32Array;
  failure?: undefined;
}

/** An item the service refused (its content, not the run): its document fails with the reason. */
export interface FailedEmbedItem<T> extends EmbedItem<T> {
  vector?: undefined;
  failure: {
    /** The service's status and message, e.g. `400 INVALID_ARGUMENT: Unsupported MIME type: image/gif`. */
    reason: string;
  };
}

export type EmbedResultItem<T> = EmbeddedItem<T> | FailedEmbedItem<T>;

/** Told after each request, for progress and the run report. */
export interface EmbedRequestInfo {
  /** Inputs sent (an item split to fit the input limit sends several). */
  inputs: number;
  /** Items those inputs embedded. */
  items: number;
  tokens: number;
  durationMs: number;
}

export interface EmbedChunksOptions<T = unknown> {
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /**
   * Raises the number of requests in flight while requests succeed and lowers it on quota 429s
   * (overrides `concurrency`; see AdaptiveConcurrency).
   */
  adaptive?: AdaptiveConcurrency;
  /**
   * Sizes requests to the quota (never more inputs or tokens in one request than an eighth of a
   * per-minute limit), paces their starts, and learns the quotas the service names in 429s.
   */
  plan?: QuotaPlan;
  /** Called before each request with its tokens; throwing stops the stream like a failed request (a spending limit). */
  beforeRequest?: (tokens: number) => void;
  /**
   * A graceful stop: once aborted, no new request starts and waits (pacing, rate-limit retries)
   * end at once; requests in flight complete and are yielded (they are paid for), then its
   * reason is thrown. `signal` instead cancels requests.
   */
  stop?: AbortSignal;
  signal?: AbortSignal;
  onRequest?: (info: EmbedRequestInfo) => void;
  /**
   * Told each request's results as they arrive, and awaited before the request's place in the
   * window goes to the next one: a caller that makes vectors durable here (see VectorLog) loses
   * to a crash only the requests in flight. Throwing stops the stream as a failed request does
   * (the results are still yielded).
   */
  onEmbedded?: (results: ReadonlyArray<EmbedResultItem<T>>) => Promise<void> | void;
}

/**
 * Embeds a stream of texts: sends each with its layout padding collapsed, split into parts when
 * it is over the per-input limit by a conservative count (the parts' vectors are averaged);
 * packs them into requests within the embedder's limits and the quota plan's caps; keeps up to
 * `concurrency` requests in flight (a sliding window, not waves), and yields each request's
 * items as it completes — not in input order. An item the service refuses comes back with its
 * `failure` (one bad input never fails the others: see embedRequest).
 *
 * When a request fails for the run (after the provider's own retries) no new request starts; the
 * ones in flight finish and are yielded, because they are paid for, and then the error is thrown.
 */
export async function* embedChunks<T>(
  items: AsyncIterable<EmbedItem<T>>,
  embedder: Embedder,
  options: EmbedChunksOptions<T> = {},
): AsyncGenerator<Array<EmbedResultItem<T>>> {
  const { adaptive } = options;
  // Requests waiting to retry (a transient 429's RetryInfo, a 5xx backoff) lend their place to
  // others meanwhile: one request's wait must not hold up the run, so the window is widened by
  // those waiting — at most doubled, so a service refusing everything sees no storm.
  let lent = 0;
  const base = () => adaptive?.current ?? options.concurrency ?? 4;
  const queue = new PQueue({ concurrency: base() });
  const resize = () => {
    queue.concurrency = Math.max(1, base() + lent);
  };
  const unfollow = adaptive?.follow(resize);
  const lend = (resumed: Promise<void>) => {
    if (lent >= base()) return;
    lent++;
    resize();
    void resumed.then(() => {
      lent--;
      resize();
    });
  };
  const completed: Array<Array<EmbedResultItem<T>>> = [];
  let failure: { error: unknown } | undefined;
  let producing = true;
  // Counted here rather than read from p-queue, whose `pending` drops only after our task's
  // finally block has already woken the consumer.
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let resume: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const release = () => {
    resume?.();
    resume = undefined;
  };
  const context: RequestContext = {
    embedder,
    plan: options.plan,
    beforeRequest: options.beforeRequest,
    onRequest: options.onRequest,
    adaptive,
    lend,
    stop: options.stop,
    signal: options.signal,
  };

  const send = (batch: Array<Entry<T>>) => {
    inFlight++;
    void queue.add(async () => {
      try {
        // A request queued behind one that failed for the run is not sent.
        if (failure) return;
        const results = await embedRequest(batch, context);
        try {
          await options.onEmbedded?.(results);
        } finally {
          completed.push(results);
        }
      } catch (error) {
        failure ??= { error };
        release();
      } finally {
        inFlight--;
        notify();
      }
    });
  };

  const budget = inputBudget(embedder.limits.maxInputTokens);
  const mediaLimit = embedder.embedMedia ? (embedder.limits.maxMediaPerRequest ?? 1) : 0;
  const caps = (): RequestCaps =>
    options.plan?.caps() ?? { inputs: embedder.limits.maxInputsPerRequest, tokens: embedder.limits.maxRequestTokens };
  const producer = (async () => {
    // Text and media inputs travel in separate requests (different endpoints and limits).
    const open = { text: [] as Array<Entry<T>>, media: [] as Array<Entry<T>> };
    const size = { text: { inputs: 0, tokens: 0 }, media: { inputs: 0, tokens: 0 } };
    for await (const raw of items) {
      if (failure) return;
      const entry = prepareEntry(raw, budget, mediaLimit > 0);
      const lane = entry.media ? "media" : "text";
      const tokens = entryTokens(entry);
      const limit = caps();
      const full =
        lane === "media"
          ? open.media.length >= Math.min(mediaLimit, limit.inputs)
          : size.text.inputs + entry.parts.length > limit.inputs || size.text.tokens + tokens > limit.tokens;
      if (open[lane].length > 0 && full) {
        // Backpressure: the producer (loading and chunking) runs ahead of the window by up to as
        // many requests as it holds, so neither waits for the other; it stops there, and while
        // results wait for a slower consumer (a fast service must not pile up every vector in memory).
        await queue.onSizeLessThan(queue.concurrency);
        while (!failure && completed.length + inFlight > 2 * queue.concurrency) {
          await new Promise<void>((resolve) => (resume = resolve));
        }
        if (failure) return;
        send(open[lane]);
        open[lane] = [];
        size[lane] = { inputs: 0, tokens: 0 };
      }
      open[lane].push(entry);
      size[lane].inputs += entry.parts.length;
      size[lane].tokens += tokens;
    }
    if (failure) return;
    if (open.text.length > 0) send(open.text);
    if (open.media.length > 0) send(open.media);
  })()
    .catch((error: unknown) => {
      failure ??= { error };
    })
    .finally(() => {
      producing = false;
      notify();
    });

  try {
    for (;;) {
      const next = completed.shift();
      if (next) {
        release();
        yield next;
        continue;
      }
      if (!producing && inFlight === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await producer;
    if (failure) throw failure.error;
  } finally {
    unfollow?.();
    queue.clear();
  }
}

/**
 * What is sent for an item: its text with layout padding collapsed, in parts that each fit one
 * input by the conservative count (text items only; media travels whole with its caption).
 */
function prepareEntry<T>(item: EmbedItem<T>, budget: number, mediaAllowed: boolean): Entry<T> {
  const media = item.media !== undefined && mediaAllowed;
  const own = media ? item : { ...item, media: undefined };
  const collapsed = collapseLayout(item.text);
  // A text of nothing but padding still says something; never send an empty input.
  const sent = collapsed === "" ? item.text : collapsed;
  // The chunk's own count holds when collapsing changed nothing (most prose), saving a tokenizer pass.
  const tokens = sent === item.text ? item.tokens : countTokens(sent);
  if (media || inputTokenBound(sent, tokens) <= budget)
    return { item: own, parts: [sent], partTokens: [billedTokens(sent, tokens)], media };
  const parts = splitToFit(sent, budget);
  const partTokens = parts.map((part) => billedTokens(part));
  return { item: own, parts, partTokens, media };
}
