import { createHash } from "node:crypto";
import { isAbort, ProviderError } from "../errors.js";
import type { Notice } from "../notices.js";
import type { CachedContext, ContextCacheService } from "../providers/types.js";
import { metaKeys, metaPrefixes } from "../store/meta-keys.js";
import type { AnswerCacheInfo } from "./types.js";

/** The part of a conversation that does not change between questions: what a context cache holds. */
export interface StableContext {
  /** Chat model id without `models/` (a cache works only with its own model). */
  model: string;
  systemInstruction: string;
  /** User-turn texts before the conversation (pinned documents). */
  contents: string[];
  /** Estimated tokens of the instruction and the contents. */
  tokens: number;
  /** Shown paths of the pinned documents, for the registry and notices. */
  pins: string[];
  /** sha256 over model, instruction and contents: the registry key. */
  key: string;
}

/** Builds a StableContext and its key. */
export function stableContext(input: Omit<StableContext, "key">): StableContext {
  const model = input.model.replace(/^models\//, "");
  const key = createHash("sha256")
    .update(JSON.stringify({ model, systemInstruction: input.systemInstruction, contents: input.contents }))
    .digest("hex");
  return { ...input, model, key };
}

/** One registry row: a cache we made for one stable context, or the service's word that it is too small for one. */
export interface CacheRegistryEntry {
  /** The stable context's key (sha256 over model, instruction and contents). */
  key: string;
  /** Model id without `models/`. */
  model: string;
  /** "ready": `name` holds the context; "too-small": the service refused it, so it is sent uncached. */
  status: "ready" | "too-small";
  /** `cachedContents/<id>` (ready only). */
  name?: string;
  /** RFC 3339, as last reported by the service (ready only). */
  expireTime?: string;
  /** Tokens as the service counted them. */
  totalTokens?: number;
  /** The model's minimum as the service stated it (too-small only). */
  minTokens?: number;
  /** Shown paths of the pinned documents. */
  pins: string[];
  createdAt: string;
  updatedAt: string;
}

/** The four calls of `Store` the registry needs (any key-value store with prefix reads will do). */
export interface KeyValueStore {
  readValue<T>(key: string): Promise<T | undefined>;
  writeValue(key: string, value: unknown): Promise<void>;
  readValues<T>(prefix: string): Promise<Array<{ key: string; value: T }>>;
  deleteValue(key: string): Promise<void>;
}

/** What `acquire`/`renew` decided: a cache to use (or none), and what to tell the user. */
export interface CacheDecision {
  cache?: AnswerCacheInfo;
  notices: Notice[];
}

export interface ContextCacheOptions {
  /** The provider's cachedContents; without it nothing is cached. */
  service?: ContextCacheService;
  /**
   * Where the registry persists (the index's meta table), so other processes reuse the caches. Without it, this object
   * only.
   */
  registry?: KeyValueStore;
  /** Lifetime of a new or refreshed cache, in seconds. @default 600 */
  ttlSeconds?: number;
  /** Extend a cache's lifetime when it is used with less than this left, in seconds. @default 180 */
  refreshBelowSeconds?: number;
  /** The clock expiry is judged by (tests move it together with the emulator's). @default Date.now */
  now?: () => number;
}

/**
 * A context smaller than this share of the model's minimum is not even offered to the service:
 * our token count is an estimate (Gemini's tokenizer is not public), so near the line the
 * service decides, and its "too small" answer is remembered.
 */
const estimateSlack = 0.9;

/**
 * Keeps the stable part of conversations (instructions and pinned documents) in provider
 * context caches: creates one when the part is big enough, reuses it across questions and
 * processes through a registry in the index, extends its lifetime while it is in use, and
 * recreates it when it expired or was deleted. Caching is an optimisation: when a cache cannot
 * be made, the decision says why and the caller sends the context uncached.
 */
export class ContextCache {
  readonly #service?: ContextCacheService;
  readonly #registry: KeyValueStore;
  readonly #ttlSeconds: number;
  readonly #refreshBelowMs: number;
  readonly #now: () => number;
  /** One create or refresh per key at a time within this process. */
  readonly #pending = new Map<string, Promise<CacheDecision>>();

  constructor(options: ContextCacheOptions = {}) {
    this.#service = options.service;
    this.#registry = options.registry ?? memoryStore();
    this.#ttlSeconds = options.ttlSeconds ?? 600;
    this.#refreshBelowMs = (options.refreshBelowSeconds ?? 180) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** True when the provider can cache at all. */
  get available(): boolean {
    return this.#service !== undefined;
  }

  /** True when `error` (from a chat request or a cache call) says a named cache no longer exists. */
  isGone(error: unknown): boolean {
    return this.#service?.isGone(error) ?? false;
  }

  /**
   * The cache to answer with for `context`: one from the registry (refreshed when little of
   * its lifetime is left), else a new one when the context is at least the model's minimum.
   */
  acquire(context: StableContext, options: { signal?: AbortSignal } = {}): Promise<CacheDecision> {
    return this.#once(context.key, () => this.#acquire(context, options.signal));
  }

  /** After a request found `goneName` missing: forgets it and creates a new cache for `context`. */
  renew(context: StableContext, goneName: string, options: { signal?: AbortSignal } = {}): Promise<CacheDecision> {
    return this.#once(context.key, async () => {
      const entry = await this.#read(context.key);
      // Another caller may have replaced it already.
      if (entry?.status === "ready" && entry.name !== goneName && entry.name)
        return this.#acquire(context, options.signal);
      return this.#create(context, options.signal, []);
    });
  }

  /** Registry rows, oldest first. */
  async entries(): Promise<CacheRegistryEntry[]> {
    const rows = await this.#registry.readValues<CacheRegistryEntry>(metaPrefixes.answerCache);
    return rows.map((row) => row.value).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The caches the service holds for this key (ours and any other program's). */
  async listRemote(options: { signal?: AbortSignal } = {}): Promise<CachedContext[]> {
    return this.#service ? this.#service.list(options) : [];
  }

  /** Deletes a cache at the service (false when it was already gone) and forgets it in the registry. */
  async delete(name: string, options: { signal?: AbortSignal } = {}): Promise<{ deleted: boolean; forgotten: number }> {
    const deleted = this.#service ? await this.#service.delete(name, options) : false;
    return { deleted, forgotten: await this.forget(name) };
  }

  /** Removes registry rows naming `name` (`cachedContents/<id>` or `<id>`); returns how many. */
  async forget(name: string): Promise<number> {
    const id = name.replace(/^cachedContents\//, "");
    let forgotten = 0;
    for (const entry of await this.entries()) {
      if (entry.name === undefined || entry.name.replace(/^cachedContents\//, "") !== id) continue;
      await this.#registry.deleteValue(metaKeys.answerCache(entry.key));
      forgotten++;
    }
    return forgotten;
  }

  /** True when `entry`'s lifetime has run out by our clock. */
  expired(entry: CacheRegistryEntry): boolean {
    const expiry = entry.expireTime === undefined ? Number.NaN : Date.parse(entry.expireTime);
    return Number.isFinite(expiry) && expiry <= this.#now();
  }

  #once(key: string, run: () => Promise<CacheDecision>): Promise<CacheDecision> {
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const promise = run().finally(() => this.#pending.delete(key));
    this.#pending.set(key, promise);
    return promise;
  }

  async #acquire(context: StableContext, signal: AbortSignal | undefined): Promise<CacheDecision> {
    const service = this.#service;
    const pinned = context.pins.length > 0;
    if (!service) {
      return {
        notices: pinned
          ? [
              {
                kind: "cache-unavailable",
                message: "this endpoint offers no context caching: the pinned documents are sent with every question.",
              },
            ]
          : [],
      };
    }
    const entry = await this.#read(context.key);
    if (entry?.status === "too-small")
      return { notices: pinned ? [tooSmallNotice(context, entry.totalTokens, entry.minTokens)] : [] };

    if (entry?.status === "ready" && entry.name) {
      const expiry = entry.expireTime === undefined ? Number.NaN : Date.parse(entry.expireTime);
      const left = expiry - this.#now();
      if (left > this.#refreshBelowMs) return { cache: info(entry, "reused"), notices: [] };
      if (left > 0 || Number.isNaN(left)) {
        try {
          const refreshed = await service.updateTtl(entry.name, this.#ttlSeconds, { signal });
          const notices = await this.#write({
            ...entry,
            expireTime: refreshed.expireTime,
            totalTokens: refreshed.totalTokens ?? entry.totalTokens,
            updatedAt: this.#iso(),
          });
          return {
            cache: {
              name: entry.name,
              state: "refreshed",
              totalTokens: refreshed.totalTokens ?? entry.totalTokens,
              expireTime: refreshed.expireTime,
            },
            notices,
          };
        } catch (error) {
          if (!service.isGone(error)) return this.#fallback(error, signal, context, "refresh");
          // Gone before its time (deleted elsewhere): make a new one below.
        }
      }
      return this.#create(context, signal, []);
    }

    const learned =
      (await this.#registry.readValue<{ minTokens: number }>(metaKeys.answerCacheMinimum(context.model)))?.minTokens ??
      0;
    const minimum = Math.max(service.minTokens(context.model), learned);
    if (context.tokens < minimum * estimateSlack) {
      return { notices: pinned ? [tooSmallNotice(context, context.tokens, minimum)] : [] };
    }
    return this.#create(context, signal, []);
  }

  async #create(context: StableContext, signal: AbortSignal | undefined, notices: Notice[]): Promise<CacheDecision> {
    const service = this.#service!;
    let created: CachedContext;
    try {
      created = await service.create(
        {
          model: context.model,
          systemInstruction: context.systemInstruction,
          contents: context.contents,
          ttlSeconds: this.#ttlSeconds,
          displayName: displayName(context),
        },
        { signal },
      );
    } catch (error) {
      const small = service.tooSmall(error);
      if (!small) return this.#fallback(error, signal, context, "create");
      const now = this.#iso();
      const writeNotices = await this.#write({
        key: context.key,
        model: context.model,
        status: "too-small",
        totalTokens: small.totalTokens,
        minTokens: small.minTokens,
        pins: context.pins,
        createdAt: now,
        updatedAt: now,
      });
      if (small.minTokens !== undefined)
        writeNotices.push(
          ...(await this.#writeValue(metaKeys.answerCacheMinimum(context.model), { minTokens: small.minTokens })),
        );
      const shown =
        context.pins.length > 0 ? [tooSmallNotice(context, small.totalTokens ?? context.tokens, small.minTokens)] : [];
      return { notices: [...notices, ...shown, ...writeNotices] };
    }
    const now = this.#iso();
    const entry: CacheRegistryEntry = {
      key: context.key,
      model: context.model,
      status: "ready",
      name: created.name,
      expireTime: created.expireTime,
      totalTokens: created.totalTokens,
      pins: context.pins,
      createdAt: now,
      updatedAt: now,
    };
    const writeNotices = [...(await this.#write(entry)), ...(await this.#prune(context.key))];
    return { cache: info(entry, "created"), notices: [...notices, ...writeNotices] };
  }

  /** A failed cache call other than "too small": the answer goes on uncached, and says why. Aborts pass through. */
  #fallback(
    error: unknown,
    signal: AbortSignal | undefined,
    context: StableContext,
    step: "create" | "refresh",
  ): CacheDecision {
    if (isAbort(error, signal) || !(error instanceof ProviderError)) throw error;
    const what =
      context.pins.length > 0 ? "the pinned documents are sent uncached" : "the instructions are sent uncached";
    return {
      notices: [
        {
          kind: "cache-failed",
          step,
          pinned: context.pins.length > 0,
          error: error.message,
          message: `could not ${step} a context cache (${error.message}); ${what}.`,
        },
      ],
    };
  }

  async #read(key: string): Promise<CacheRegistryEntry | undefined> {
    return this.#registry.readValue<CacheRegistryEntry>(metaKeys.answerCache(key));
  }

  async #write(entry: CacheRegistryEntry): Promise<Notice[]> {
    return this.#writeValue(metaKeys.answerCache(entry.key), entry);
  }

  /** A registry write that fails costs reuse, not the answer: it becomes a notice. */
  async #writeValue(key: string, value: unknown): Promise<Notice[]> {
    try {
      await this.#registry.writeValue(key, value);
      return [];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return [
        {
          kind: "cache-registry-failed",
          step: "record",
          error: reason,
          message: `could not record the context cache in the index (${reason}); the next question makes a new one.`,
        },
      ];
    }
  }

  /**
   * Drops registry rows of caches that have expired by now (the service deleted them itself); a failure is a notice.
   */
  async #prune(except: string): Promise<Notice[]> {
    try {
      for (const entry of await this.entries()) {
        if (entry.key !== except && entry.status === "ready" && this.expired(entry))
          await this.#registry.deleteValue(metaKeys.answerCache(entry.key));
      }
      return [];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return [
        {
          kind: "cache-registry-failed",
          step: "prune",
          error: reason,
          message: `could not drop expired context caches from the index's registry (${reason}).`,
        },
      ];
    }
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function info(entry: CacheRegistryEntry, state: AnswerCacheInfo["state"]): AnswerCacheInfo {
  return { name: entry.name!, state, totalTokens: entry.totalTokens, expireTime: entry.expireTime };
}

function tooSmallNotice(context: StableContext, tokens: number | undefined, minimum: number | undefined): Notice {
  const counted = tokens ?? context.tokens;
  return {
    kind: "cache-too-small",
    model: context.model,
    tokens: counted,
    ...(minimum === undefined ? {} : { minimum }),
    message:
      `the pinned documents (${counted} tokens with the instructions) are below ${context.model}'s ` +
      (`context-cache minimum${minimum === undefined ? "" : ` of ${minimum}`}: they are sent with every question, ` +
        `uncached.`),
  };
}

/** Shown in the service's list: what the cache holds (Gemini allows 128 characters). */
function displayName(context: StableContext): string {
  const what = context.pins.length > 0 ? context.pins.join(", ") : "instructions";
  return `gemindex ${context.key.slice(0, 8)}: ${what}`.slice(0, 128);
}

/** A registry that lives as long as its ContextCache (no index to persist in). */
function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    async readValue<T>(key: string) {
      const value = values.get(key);
      return value === undefined ? undefined : (JSON.parse(value) as T);
    },
    async writeValue(key, value) {
      values.set(key, JSON.stringify(value));
    },
    async readValues<T>(prefix: string) {
      return [...values]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => ({ key, value: JSON.parse(value) as T }));
    },
    async deleteValue(key) {
      values.delete(key);
    },
  };
}
