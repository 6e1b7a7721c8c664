import { countTokens } from "../chunking/tokens.js";
import { ConfigError, ConnectionError, isAbort, ProviderError, StreamInterruptedError } from "../errors.js";
import type { ChatModel, ChatRequest, ChatStreamEvent, ChatUsage } from "../providers/types.js";
import { type RetrieveContext, retrieve } from "../retrieval/retrieve.js";
import type { SearchResult } from "../retrieval/types.js";
import { extractCitations } from "./citations.js";
import { type CacheDecision, type ContextCache, type StableContext, stableContext } from "./context-cache.js";
import { buildMessages, formatPinned, instructionFor } from "./prompt.js";
import { type ResolvedPin, resolvePins } from "./resolve-pins.js";
import type { AnswerCacheInfo, AnswerEvent, AnswerOptions } from "./types.js";

export interface AnswerContext extends RetrieveContext {
  chat: ChatModel;
  /** Keeps instructions and pinned documents in context caches; without it nothing is cached. */
  caches?: ContextCache;
  /**
   * Checks model ids against the service's model list before any request; throws ConfigError
   * (code UNKNOWN_MODEL) for one the service does not offer. Absent: nothing is checked.
   */
  checkModels?: (models: { chat?: string; embedding?: string }, options?: { signal?: AbortSignal }) => Promise<void>;
}

/**
 * Answers a question from the index as a stream of events: `sources` first (the numbered hits
 * the answer cites, the pinned documents and the context cache in use), then `thought` and
 * `text-delta` events as the model streams, `usage`, and `done` with the whole text. Abort with
 * `options.signal`; the HTTP stream stops with it.
 *
 * The stable part of the prompt (instructions, pinned documents) goes into a context cache when
 * it is big enough (see ContextCache); a request that uses a cache sends no system message, since
 * the cache holds the instructions. When the service says the cache is gone (expired or
 * deleted) before anything was streamed, it is recreated and the question asked once more.
 *
 * A stream that breaks off (dropped connection, error event, no finish reason) before anything
 * was shown is asked once more; after text was shown, `done` ends the answer with
 * `complete: false` and the error in `interrupted` (the text so far is kept, never repeated).
 *
 * When the model API is unreachable or out of quota, the sources still come
 * (found by full-text search when the question cannot be embedded), and then the generator throws
 * that ProviderError: the answer is unavailable, the passages are not.
 */
export async function* answer(
  question: string,
  context: AnswerContext,
  options: AnswerOptions = {},
  /** Request fields a wrapper adds (structured answers ask for a JSON schema). */
  extra: Pick<ChatRequest, "jsonSchema"> = {},
): AsyncGenerator<AnswerEvent> {
  checkAnswerOptions(question, options);
  if (options.cachedContent !== undefined && (options.pin ?? []).length > 0) {
    throw new ConfigError("Give pin or cachedContent, not both: a given cache already holds its own context.", {
      code: "CONFLICTING_OPTIONS",
      data: { options: ["pin", "cachedContent"], reason: "a given cache already holds its own context" },
    });
  }
  const { signal } = options;
  // Options the model can never take are refused before any request (retrieval embeds the question).
  const { reasoningEffort } = context.chat.prepare?.({
    messages: [],
    model: options.model,
    reasoningEffort: options.reasoningEffort,
    thinkingBudget: options.thinkingBudget,
  }) ?? { reasoningEffort: options.reasoningEffort };
  // A model API that cannot be reached (or out of quota) leaves the passages to show: noted, thrown after them.
  let unavailable: ProviderError | undefined;
  const noteUnavailable = (error: unknown) => {
    if (!(error instanceof ProviderError) || isAbort(error, signal)) throw error;
    unavailable ??= error;
  };
  await context.checkModels?.({ chat: options.model ?? context.chat.model }, { signal }).catch(noteUnavailable);
  const prompt = await stablePrompt(context, options);
  const { cache, notices } = await chooseCache(prompt.stable, context, options, unavailable !== undefined);

  const result = await retrieveBesidePins(
    options.searchText ?? question,
    { ...context, onModelUnavailable: noteUnavailable },
    options,
    prompt.pins,
  );
  const pinned = prompt.pins.map((pin) => pin.document);
  yield {
    type: "sources",
    hits: result.hits,
    mode: result.mode,
    notices: [...result.notices, ...notices],
    pinned,
    ...(cache ? { cache } : {}),
  };

  // Unreachable: asking the chat model would fail the same way.
  if (unavailable instanceof ConnectionError) throw unavailable;
  const request = (cachedContent: string | undefined): ChatRequest => ({
    // With a cache, instructions and pins are in it: a system message as well is a 400.
    messages: buildMessages(question, result.hits, {
      system: cachedContent === undefined,
      instruction: prompt.instruction,
      pinned: cachedContent === undefined ? prompt.pinned : undefined,
      history: options.history,
    }),
    model: options.model,
    reasoningEffort,
    thinkingBudget: options.thinkingBudget,
    includeThoughts: options.thoughts,
    serviceTier: options.serviceTier,
    maxOutputTokens: options.maxOutputTokens,
    cachedContent,
    ...extra,
  });
  const streamed = yield* streamAnswer(request, { cache, stable: prompt.stable }, context, options);
  const { text, finishReason, interrupted } = streamed;
  yield {
    type: "done",
    text,
    citations: extractCitations(text, result.hits, pinned),
    usage: streamed.usage,
    finishReason,
    complete: interrupted === undefined && (finishReason === "stop" || finishReason === "tool_calls"),
    ...(interrupted ? { interrupted } : {}),
    ...(streamed.cache ? { cachedContent: streamed.cache.name } : {}),
  };
}

/** Refuses what no answer can take: an empty question, reasoningEffort with thinkingBudget. */
export function checkAnswerOptions(question: string, options: AnswerOptions): void {
  if (!question.trim()) throw new ConfigError("The question is empty.");
  if (options.reasoningEffort !== undefined && options.thinkingBudget !== undefined) {
    throw new ConfigError("Give reasoningEffort or thinkingBudget, not both (Gemini rejects the combination).", {
      code: "CONFLICTING_OPTIONS",
      data: { options: ["reasoningEffort", "thinkingBudget"], reason: "Gemini rejects the combination" },
    });
  }
}

/** The part of the prompt that stays from question to question: instructions and pinned documents. */
interface StablePrompt {
  pins: ResolvedPin[];
  instruction: string;
  /** The pinned documents as one message, if any. */
  pinned?: string;
  /** What a context cache would hold. */
  stable: StableContext;
}

async function stablePrompt(context: AnswerContext, options: AnswerOptions): Promise<StablePrompt> {
  const pinPaths = options.pin ?? [];
  const pins = pinPaths.length > 0 ? await resolvePins(pinPaths, context) : [];
  const instruction = instructionFor({ pinned: pins.length > 0 });
  const pinned = pins.length > 0 ? formatPinned(pins.map((pin) => pin.text)) : undefined;
  const stable = stableContext({
    model: options.model ?? context.chat.model,
    systemInstruction: instruction,
    contents: pinned === undefined ? [] : [pinned],
    tokens: countTokens(instruction) + pins.reduce((sum, pin) => sum + pin.document.tokens, 0),
    pins: pins.map((pin) => pin.document.displayPath),
  });
  return { pins, instruction, pinned, stable };
}

/**
 * The context cache to answer with: the one given, else one the cache keeper makes or reuses
 * (not when caching is off, or the model API is known to be unavailable), else none.
 */
async function chooseCache(
  stable: StableContext,
  context: AnswerContext,
  options: AnswerOptions,
  unavailable: boolean,
): Promise<CacheDecision> {
  if (options.cachedContent !== undefined)
    return { cache: { name: fullCacheName(options.cachedContent), state: "given" }, notices: [] };
  if (options.cache !== false && context.caches && !unavailable)
    return context.caches.acquire(stable, { signal: options.signal });
  return { notices: [] };
}

/** What the model streamed for an answer, across its attempts. */
interface StreamedAnswer {
  text: string;
  usage?: ChatUsage;
  finishReason: string | null;
  /** The stream broke off after part of the answer was shown. */
  interrupted?: StreamInterruptedError;
  /** The context cache the answer was made with (a renewed one when the first was gone). */
  cache?: AnswerCacheInfo;
}

/**
 * Streams the answer, asking again where that cannot show anything twice: once when the stream
 * breaks off before anything was shown, once when the service says the context cache is gone
 * (after making a new one).
 */
async function* streamAnswer(
  request: (cachedContent: string | undefined) => ChatRequest,
  caching: { cache?: AnswerCacheInfo; stable: StableContext },
  context: AnswerContext,
  options: AnswerOptions,
): AsyncGenerator<AnswerEvent, StreamedAnswer> {
  const { signal } = options;
  const streamed: StreamedAnswer = { text: "", finishReason: null, cache: caching.cache };
  let streamRetried = false;
  for (let attempt = 1; ; attempt++) {
    const cachedContent = streamed.cache?.name;
    const progress = { started: false, shown: false };
    try {
      yield* relayStream(context.chat.stream(request(cachedContent), { signal }), streamed, progress, options);
      return streamed;
    } catch (error) {
      if (error instanceof StreamInterruptedError) {
        // Nothing shown yet: asking again cannot duplicate text on the caller's screen.
        if (!progress.shown && !streamRetried && !signal?.aborted) {
          streamRetried = true;
          continue;
        }
        if (!progress.shown) throw error;
        // Part of the answer is out: it ends here, marked incomplete, with the reason.
        streamed.interrupted = error;
        return streamed;
      }
      if (progress.started || cachedContent === undefined || !context.caches?.isGone(error)) throw error;
      if (streamed.cache?.state === "given") {
        throw new ConfigError(
          `The context cache ${cachedContent} does not exist (it expired or was deleted); listCaches() shows those ` +
            `that do.`,
          { code: "CACHE_NOT_FOUND", data: { name: cachedContent }, cause: error },
        );
      }
      if (attempt > 1) throw error;
      // Expired or deleted since we last saw it: make a new one and ask once more.
      streamed.cache = (await context.caches.renew(caching.stable, cachedContent, { signal })).cache;
    }
  }
}

/**
 * Passes one attempt's text, thoughts (when asked for) and usage on, recording them in
 * `streamed`; `progress` says whether anything came, and whether the caller was shown any of it.
 */
async function* relayStream(
  stream: AsyncIterable<ChatStreamEvent>,
  streamed: StreamedAnswer,
  progress: { started: boolean; shown: boolean },
  options: AnswerOptions,
): AsyncGenerator<AnswerEvent> {
  for await (const event of stream) {
    progress.started = true;
    if (event.type === "text-delta") {
      progress.shown = true;
      streamed.text += event.text;
      yield event;
    } else if (event.type === "thought") {
      if (options.thoughts) {
        progress.shown = true;
        yield event;
      }
    } else if (event.type === "usage") {
      streamed.usage = event.usage;
      yield event;
    } else if (event.type === "finish") streamed.finishReason = event.reason;
  }
}

/**
 * Retrieves as usual, minus passages of pinned documents (the model has them whole already):
 * asks for more hits to make up for the ones dropped, and renumbers the rest from 1.
 */
export async function retrieveBesidePins(
  query: string,
  context: RetrieveContext,
  options: AnswerOptions,
  pins: ResolvedPin[],
): Promise<SearchResult> {
  if (pins.length === 0) return retrieve(query, context, options);
  const k = options.k ?? 8;
  const pinnedChunks = pins.reduce((sum, pin) => sum + pin.document.chunks, 0);
  const result = await retrieve(query, context, { ...options, k: k + Math.min(pinnedChunks, 3 * k) });
  const pinned = new Set(pins.map((pin) => pin.document.path));
  const hits = result.hits
    .filter((hit) => !pinned.has(hit.path))
    .slice(0, k)
    .map((hit, index) => ({ ...hit, rank: index + 1 }));
  return { ...result, hits };
}

/** `abc` → `cachedContents/abc`; a full name stays as it is. */
function fullCacheName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "")
    throw new ConfigError("cachedContent needs a cache name (cachedContents/<id>).", {
      code: "INVALID_OPTION",
      data: { option: "cachedContent", expected: "a cache name (cachedContents/<id>)", got: name },
    });
  return trimmed.includes("/") ? trimmed : `cachedContents/${trimmed}`;
}
