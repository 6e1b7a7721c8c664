import { ProviderError } from "../errors.js";
import type { EmbedCallOptions, Embedder, EmbedResult } from "../providers/types.js";
import type { AdaptiveConcurrency } from "./adaptive-concurrency.js";
import { combineVectors } from "./combine-vectors.js";
import type { EmbedItem, EmbedRequestInfo, EmbedResultItem } from "./embed-chunks.js";
import { inputRejection } from "./input-faults.js";
import { billedTokens, cutNearMiddle } from "./input-size.js";
import type { QuotaPlan, RequestCaps } from "./quota-plan.js";

/** One item on its way to the service: the texts sent for it (several when it was split to fit). */
export interface Entry<T> {
  item: EmbedItem<T>;
  /** Layout-collapsed text, in consecutive parts that each fit one input. */
  parts: string[];
  /** Billed-token estimate of each part. */
  partTokens: number[];
  /** Embedded from media bytes with its text (never split). */
  media: boolean;
}

/** Everything a request needs besides its entries. */
export interface RequestContext {
  embedder: Embedder;
  plan?: QuotaPlan;
  beforeRequest?: (tokens: number) => void;
  onRequest?: (info: EmbedRequestInfo) => void;
  /** Told of each request sent, each success, and each 429 naming a per-minute quota. */
  adaptive?: AdaptiveConcurrency;
  /** Told when a request waits to retry: its place in the window is free until `resumed`. */
  lend?: (resumed: Promise<void>) => void;
  stop?: AbortSignal;
  signal?: AbortSignal;
}

/** Parts shorter than this are not split further when the service still calls them too long. */
const MIN_SPLIT_CHARS = 16;

export function entryTokens<T>(entry: Entry<T>): number {
  return entry.partTokens.reduce((sum, tokens) => sum + tokens, 0);
}

/** Groups entries into requests within `caps` (an entry larger than the caps goes alone). */
export function groupByCaps<T>(entries: Array<Entry<T>>, caps: RequestCaps): Array<Array<Entry<T>>> {
  const groups: Array<Array<Entry<T>>> = [];
  let group: Array<Entry<T>> = [];
  let inputs = 0;
  let tokens = 0;
  for (const entry of entries) {
    const size = entryTokens(entry);
    if (group.length > 0 && (inputs + entry.parts.length > caps.inputs || tokens + size > caps.tokens)) {
      groups.push(group);
      group = [];
      inputs = 0;
      tokens = 0;
    }
    group.push(entry);
    inputs += entry.parts.length;
    tokens += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * Sends one request for `entries` and returns each item with its vector — or, when the service
 * refused an input, with the service's reason — so that one bad input fails only its item:
 * - a refusal naming an input (`requests[i]`) fails that input's item and resends the others;
 * - any other content refusal of a multi-input request is narrowed down by bisection;
 * - an input the service calls too long is split at a paragraph, line or word boundary near its
 *   middle and its parts' vectors are averaged (weighted by length) and re-normalised: the
 *   chunk keeps its text and citation, and nothing is dropped or cut;
 * - a rate limit for a per-minute quota the request can never pass teaches the plan the quota
 *   and the request is resent in pieces that fit.
 * Run-level faults (key, quota exhausted, network, server errors after retries) are thrown.
 */
export async function embedRequest<T>(
  entries: Array<Entry<T>>,
  context: RequestContext,
): Promise<Array<EmbedResultItem<T>>> {
  const groups = context.plan ? groupByCaps(entries, context.plan.caps()) : [entries];
  if (groups.length > 1) return sequentially(groups, context);
  try {
    return await send(entries, context);
  } catch (error) {
    if (isOversizeForQuota(error)) return resize(entries, error, context);
    const rejection = inputRejection(error);
    if (!rejection) throw error;
    const named = rejection.index === undefined ? undefined : ownerOf(entries, rejection.index);
    if (named) {
      const { entry, part } = named;
      const others = entries.filter((candidate) => candidate !== entry);
      const retried = rejection.tooLong ? splitPart(entry, part) : undefined;
      if (retried) return sequentially([[retried], ...(others.length > 0 ? [others] : [])], context);
      return [failed(entry, rejection.reason), ...(others.length > 0 ? await embedRequest(others, context) : [])];
    }
    if (entries.length > 1) {
      const middle = Math.ceil(entries.length / 2);
      return sequentially([entries.slice(0, middle), entries.slice(middle)], context);
    }
    const entry = entries[0]!;
    const split = rejection.tooLong ? splitPart(entry, longestPart(entry)) : undefined;
    return split ? embedRequest([split], context) : [failed(entry, rejection.reason)];
  }
}

async function sequentially<T>(
  groups: Array<Array<Entry<T>>>,
  context: RequestContext,
): Promise<Array<EmbedResultItem<T>>> {
  const out: Array<EmbedResultItem<T>> = [];
  for (const group of groups) out.push(...(await embedRequest(group, context)));
  return out;
}

async function send<T>(entries: Array<Entry<T>>, context: RequestContext): Promise<Array<EmbedResultItem<T>>> {
  const { embedder, plan, stop, signal } = context;
  const texts = entries.flatMap((entry) => entry.parts);
  const tokens = entries.reduce((sum, entry) => sum + entryTokens(entry), 0);
  stop?.throwIfAborted();
  context.beforeRequest?.(tokens);
  const paced = (await plan?.acquire(texts.length, tokens, stop ?? signal)) ?? 0;
  const started = performance.now();
  const { adaptive } = context;
  const ticket = adaptive?.started() ?? 0;
  const call = {
    signal,
    stop,
    tokens,
    onRateLimited: (error: ProviderError) => {
      plan?.learn(error.quota);
      if (isPerMinuteQuota(error)) adaptive?.quotaLimited(ticket);
    },
    // A request waiting out the caller's own quota keeps its place: more requests would only hit it too.
    onRetryWait: ({ resumed, error }: { resumed: Promise<void>; error: ProviderError }) => {
      if (!isPerMinuteQuota(error)) context.lend?.(resumed);
    },
  };
  let result: EmbedResult;
  try {
    result = await callEmbedder(entries, texts, call, embedder);
  } catch (error) {
    // A request too large for the quota is not retried (see resize), but it says the same.
    if (isPerMinuteQuota(error)) adaptive?.quotaLimited(ticket);
    throw error;
  }
  if (result.vectors.length !== texts.length) {
    throw new ProviderError(`Sent ${texts.length} inputs, got ${result.vectors.length} vectors back.`);
  }
  adaptive?.succeeded({ paced: paced > 0 });
  context.onRequest?.({
    inputs: texts.length,
    items: entries.length,
    tokens: result.tokens ?? tokens,
    durationMs: performance.now() - started,
  });
  let at = 0;
  return entries.map((entry) => {
    const vectors = result.vectors.slice(at, at + entry.parts.length);
    at += entry.parts.length;
    const vector = combineVectors(
      vectors,
      entry.parts.map((part) => part.length),
    );
    return { ...entry.item, vector };
  });
}

/** The embedder call for a request's texts (media entries through embedMedia). */
function callEmbedder<T>(
  entries: Array<Entry<T>>,
  texts: string[],
  call: EmbedCallOptions,
  embedder: Embedder,
): Promise<EmbedResult> {
  if (entries[0]?.media === true)
    return embedder.embedMedia!(
      entries.map(({ item, parts }) => ({ media: item.media!, text: parts[0]!, title: item.title })),
      call,
    );
  return embedder.embedDocuments(texts, {
    ...call,
    titles: entries.flatMap((entry) => entry.parts.map(() => entry.item.title)),
  });
}

/** A 429 naming a per-minute quota: the caller's rate, which fewer requests in flight relieve. */
function isPerMinuteQuota(error: unknown): boolean {
  return error instanceof ProviderError && error.status === 429 && error.quota?.window === "minute";
}

/** A 429 for a per-minute quota smaller than the request (the embedder did not wait it out). */
function isOversizeForQuota(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.status === 429 && error.quota?.window === "minute";
}

/** Learns the quota from the refusal and resends the entries in requests that fit it. */
async function resize<T>(
  entries: Array<Entry<T>>,
  error: ProviderError,
  context: RequestContext,
): Promise<Array<EmbedResultItem<T>>> {
  context.plan?.learn(error.quota);
  const groups = context.plan ? groupByCaps(entries, context.plan.caps()) : [entries];
  if (groups.length > 1) return sequentially(groups, context);
  // Still one request: halve it, and when a single item alone is over the quota, nothing smaller exists.
  if (entries.length === 1) throw error;
  const middle = Math.ceil(entries.length / 2);
  return sequentially([entries.slice(0, middle), entries.slice(middle)], context);
}

function ownerOf<T>(entries: Array<Entry<T>>, index: number): { entry: Entry<T>; part: number } | undefined {
  let at = 0;
  for (const entry of entries) {
    if (index < at + entry.parts.length) return { entry, part: index - at };
    at += entry.parts.length;
  }
  return undefined;
}

function longestPart<T>(entry: Entry<T>): number {
  let longest = 0;
  entry.parts.forEach((part, i) => {
    if (part.length > entry.parts[longest]!.length) longest = i;
  });
  return longest;
}

/** The entry with part `index` cut in two, or undefined when it cannot be split (media, tiny). */
function splitPart<T>(entry: Entry<T>, index: number): Entry<T> | undefined {
  const part = entry.parts[index];
  if (entry.media || part === undefined || part.length < MIN_SPLIT_CHARS) return undefined;
  const cut = cutNearMiddle(part);
  const halves = [part.slice(0, cut), part.slice(cut)];
  return {
    ...entry,
    parts: [...entry.parts.slice(0, index), ...halves, ...entry.parts.slice(index + 1)],
    partTokens: [
      ...entry.partTokens.slice(0, index),
      ...halves.map((half) => billedTokens(half)),
      ...entry.partTokens.slice(index + 1),
    ],
  };
}

function failed<T>(entry: Entry<T>, reason: string): EmbedResultItem<T> {
  return { ...entry.item, failure: { reason } };
}
