import PQueue from "p-queue";
import type { Embedder, MediaInput } from "../providers/types.js";
import type { AdaptiveConcurrency } from "./adaptive-concurrency.js";
import type { RequestPacer } from "./request-pacer.js";

/** One text to embed, with whatever the caller needs to put the vector back (`tag`). */
export interface EmbedItem<T> {
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
}

/** Told after each request, for progress and the run report. */
export interface EmbedRequestInfo {
  inputs: number;
  tokens: number;
  durationMs: number;
}

export interface EmbedChunksOptions {
  /** Requests in flight at once. @default 4 */
  concurrency?: number;
  /** Lowers and raises the number of requests in flight as the service rate-limits (overrides `concurrency`). */
  adaptive?: AdaptiveConcurrency;
  /** Spaces request starts to stay within requests- and tokens-per-minute limits. */
  pacer?: RequestPacer;
  /** Called before each request with its tokens; throwing stops the stream like a failed request (a spending limit). */
  beforeRequest?: (tokens: number) => void;
  /**
   * A graceful stop: once aborted, no new request starts, requests in flight complete and are
   * yielded (they are paid for), then its reason is thrown. `signal` instead cancels requests.
   */
  stop?: AbortSignal;
  signal?: AbortSignal;
  onRequest?: (info: EmbedRequestInfo) => void;
}

/**
 * Embeds a stream of texts: packs them into requests within the embedder's limits (inputs per
 * request, tokens per input and per request), keeps up to `concurrency` requests in flight (a
 * sliding window, not waves), and yields each request's items with their vectors as it
 * completes — not in input order. Inputs above the per-input token limit are cut to fit.
 *
 * When a request fails (after the provider's own retries) no new request starts; the ones in
 * flight finish and are yielded, because they are paid for, and then the error is thrown.
 */
export async function* embedChunks<T>(
  items: AsyncIterable<EmbedItem<T>>,
  embedder: Embedder,
  options: EmbedChunksOptions = {},
): AsyncGenerator<Array<EmbeddedItem<T>>> {
  const { maxInputsPerRequest, maxInputTokens, maxRequestTokens } = embedder.limits;
  const queue = new PQueue({ concurrency: options.adaptive?.current ?? options.concurrency ?? 4 });
  const unfollow = options.adaptive?.follow((value) => (queue.concurrency = value));
  const completed: Array<Array<EmbeddedItem<T>>> = [];
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

  const send = (batch: Array<EmbedItem<T>>, media: boolean) => {
    const tokens = batch.reduce((sum, item) => sum + item.tokens, 0);
    inFlight++;
    void queue.add(async () => {
      try {
        options.stop?.throwIfAborted();
        options.beforeRequest?.(tokens);
        await options.pacer?.acquire(tokens, options.stop ?? options.signal);
        const started = performance.now();
        const result = media
          ? await embedder.embedMedia!(
              batch.map((item) => ({ media: item.media!, text: item.text, title: item.title })),
              { signal: options.signal },
            )
          : await embedder.embedDocuments(
              batch.map((item) => item.text),
              { signal: options.signal, titles: batch.map((item) => item.title) },
            );
        completed.push(batch.map((item, i) => ({ ...item, vector: result.vectors[i]! })));
        options.adaptive?.succeeded();
        options.onRequest?.({
          inputs: batch.length,
          tokens: result.tokens ?? tokens,
          durationMs: performance.now() - started,
        });
      } catch (error) {
        failure ??= { error };
        release();
      } finally {
        inFlight--;
        notify();
      }
    });
  };

  const mediaLimit = embedder.embedMedia ? (embedder.limits.maxMediaPerRequest ?? 1) : 0;
  const producer = (async () => {
    // Text and media inputs travel in separate requests (different endpoints and limits).
    const open = { text: [] as Array<EmbedItem<T>>, media: [] as Array<EmbedItem<T>> };
    const tokens = { text: 0, media: 0 };
    for await (const raw of items) {
      if (failure) return;
      const item = fitInput(raw.media && mediaLimit > 0 ? raw : { ...raw, media: undefined }, maxInputTokens);
      const lane = item.media ? "media" : "text";
      const full =
        lane === "media"
          ? open.media.length >= mediaLimit
          : open.text.length >= maxInputsPerRequest || tokens.text + item.tokens > maxRequestTokens;
      if (open[lane].length > 0 && full) {
        // Backpressure: hold the producer while the window is full, and while results wait for a
        // slower consumer (a fast service must not pile up every vector in memory).
        await queue.onSizeLessThan(1);
        while (!failure && completed.length + inFlight > 2 * queue.concurrency) {
          await new Promise<void>((resolve) => (resume = resolve));
        }
        if (failure) return;
        send(open[lane], lane === "media");
        open[lane] = [];
        tokens[lane] = 0;
      }
      open[lane].push(item);
      tokens[lane] += item.tokens;
    }
    if (failure) return;
    if (open.text.length > 0) send(open.text, false);
    if (open.media.length > 0) send(open.media, true);
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

/** Cuts a text above the per-input limit (proportionally, with a margin for tokenizer drift). */
function fitInput<T>(item: EmbedItem<T>, maxInputTokens: number): EmbedItem<T> {
  if (item.tokens <= maxInputTokens) return item;
  const keep = Math.floor((item.text.length * maxInputTokens * 0.9) / item.tokens);
  return { ...item, text: item.text.slice(0, keep), tokens: Math.floor(maxInputTokens * 0.9) };
}
