import { ConfigError, ProviderError } from "../../errors.js";
import type {
  CacheCallOptions,
  CachedContext,
  CacheTooSmall,
  ContextCacheService,
  CreateCachedContextRequest,
} from "../types.js";
import type { GeminiClient } from "./client.js";

/**
 * The smallest cachedContent each model accepts, in tokens (https://ai.google.dev/api/caching). Google's docs
 * disagree between versions (2025: 1,024 for Flash, 4,096 for Pro; 2026: 2,048 for 2.5, 4,096
 * for 3.x), so each model gets the lowest documented value: a cache the service would accept is
 * never skipped, and when the service's minimum is higher its "too small" 400 says so (the
 * context-cache manager remembers that answer).
 */
export const cacheMinTokens: Readonly<Record<string, number>> = {
  "gemini-2.5-flash": 1_024,
  "gemini-2.5-flash-lite": 1_024,
  "gemini-2.5-pro": 2_048,
  "gemini-3-flash-preview": 1_024,
  "gemini-3-pro-preview": 4_096,
};

/** For models not in the table: the lowest minimum documented for any model. */
export const defaultCacheMinTokens = 1_024;

/**
 * A cache that expired, was deleted or never existed: Gemini answers 403 PERMISSION_DENIED "CachedContent not found"
 * (https://ai.google.dev/gemini-api/docs/caching).
 */
export class CacheNotFoundError extends ProviderError {
  /** The cache that was asked for (`cachedContents/<id>`). */
  readonly cacheName: string;

  constructor(cacheName: string, cause: ProviderError) {
    super(
      `The context cache ${cacheName} does not exist (it expired or was deleted).`,
      {
        status: cause.status,
        googleStatus: cause.googleStatus,
        excerpt: cause.excerpt,
        operation: cause.operation,
        data: { name: cacheName },
        cause,
      },
      "CACHE_NOT_FOUND",
    );
    this.cacheName = cacheName;
  }
}

/**
 * The content is below the model's minimum: 400 "Cached content is too small. total_token_count=N,
 * min_total_token_count=M".
 */
export class CacheTooSmallError extends ProviderError {
  readonly totalTokens?: number;
  readonly minTokens?: number;

  constructor(numbers: CacheTooSmall, cause: ProviderError) {
    super(
      `The content is too small for a context cache (${numbers.totalTokens ?? "?"} tokens, the model's minimum is ` +
        `${numbers.minTokens ?? "?"}).`,
      {
        status: cause.status,
        googleStatus: cause.googleStatus,
        excerpt: cause.excerpt,
        operation: cause.operation,
        cause,
      },
      "CACHE_TOO_SMALL",
    );
    this.totalTokens = numbers.totalTokens;
    this.minTokens = numbers.minTokens;
  }
}

/** The documented minimum for a model id (with or without `models/`). */
export function minCacheTokens(model: string): number {
  return cacheMinTokens[bareModel(model)] ?? defaultCacheMinTokens;
}

/** `models/x` → `x`. */
function bareModel(model: string): string {
  return model.replace(/^models\//, "");
}

/** `abc` or `cachedContents/abc` → `cachedContents/abc`. */
export function cacheName(name: string): string {
  const id = name.trim().replace(/^cachedContents\//, "");
  if (id === "" || id.includes("/"))
    throw new ConfigError(`Not a cachedContent name: ${JSON.stringify(name)} (expected cachedContents/<id>).`);
  return `cachedContents/${id}`;
}

function cachePath(name: string): string {
  return `cachedContents/${encodeURIComponent(cacheName(name).slice("cachedContents/".length))}`;
}

/** True when `error` says a named cache is gone: from a cachedContents call or from a chat request that named it. */
export function isCacheGone(error: unknown): boolean {
  if (error instanceof CacheNotFoundError) return true;
  if (!(error instanceof ProviderError) || error.status !== 403) return false;
  return /CachedContent not found/i.test(`${error.message} ${error.excerpt ?? ""}`);
}

/** The numbers of a "too small" refusal, or undefined when `error` is something else. */
export function readCacheTooSmall(error: unknown): CacheTooSmall | undefined {
  if (error instanceof CacheTooSmallError) return { totalTokens: error.totalTokens, minTokens: error.minTokens };
  if (!(error instanceof ProviderError) || error.status !== 400) return undefined;
  const text = `${error.message} ${error.excerpt ?? ""}`;
  if (!/Cached content is too small/i.test(text)) return undefined;
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return { totalTokens: number(/total_token_count=(\d+)/), minTokens: number(/min_total_token_count=(\d+)/) };
}

/** Our error for a failed cachedContents call: the two answers a caller acts on get their own classes. */
function classify(error: unknown, name?: string): unknown {
  if (name !== undefined && isCacheGone(error)) return new CacheNotFoundError(name, error as ProviderError);
  const small = readCacheTooSmall(error);
  if (small) return new CacheTooSmallError(small, error as ProviderError);
  return error;
}

interface RawCachedContent {
  name?: unknown;
  model?: unknown;
  displayName?: unknown;
  createTime?: unknown;
  updateTime?: unknown;
  expireTime?: unknown;
  usageMetadata?: { totalTokenCount?: unknown };
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** Reads a CachedContent (https://ai.google.dev/api/caching), tolerating missing optional fields. */
export function toCachedContext(raw: RawCachedContent | undefined, operation: string): CachedContext {
  const name = text(raw?.name);
  if (!raw || !name) throw new ProviderError(`${operation}: the reply holds no cachedContent name.`, { operation });
  const cache: CachedContext = { name, model: bareModel(text(raw.model) ?? "") };
  for (const key of ["displayName", "createTime", "updateTime", "expireTime"] as const) {
    const value = text(raw[key]);
    if (value !== undefined) cache[key] = value;
  }
  const tokens = Number(raw.usageMetadata?.totalTokenCount);
  if (Number.isFinite(tokens)) cache.totalTokens = tokens;
  return cache;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new RangeError(`A cache lifetime must be a positive number of seconds, got ${seconds}.`);
  return `${seconds}s`;
}

/**
 * Creates a cachedContent holding a system instruction and user-turn texts. Throws
 * CacheTooSmallError when the service finds it below the model's minimum.
 */
export async function createCachedContent(
  client: GeminiClient,
  request: CreateCachedContextRequest,
  signal?: AbortSignal,
): Promise<CachedContext> {
  const body: Record<string, unknown> = {
    model: `models/${bareModel(request.model)}`,
    contents: request.contents.map((content) => ({ role: "user", parts: [{ text: content }] })),
    ttl: duration(request.ttlSeconds),
  };
  if (request.systemInstruction) body.systemInstruction = { parts: [{ text: request.systemInstruction }] };
  if (request.displayName !== undefined) body.displayName = request.displayName;
  try {
    const { body: reply } = await client.call(
      "cache create",
      (_attempt, scoped) =>
        client.native<RawCachedContent>("cache create", {
          method: "POST",
          path: "cachedContents",
          body,
          signal: scoped,
        }),
      signal,
    );
    return toCachedContext(reply, "cache create");
  } catch (error) {
    throw classify(error);
  }
}

/** A cache's metadata. Throws CacheNotFoundError when it expired or was deleted. */
export async function getCachedContent(
  client: GeminiClient,
  name: string,
  signal?: AbortSignal,
): Promise<CachedContext> {
  const full = cacheName(name);
  try {
    const { body } = await client.call(
      "cache get",
      (_attempt, scoped) =>
        client.native<RawCachedContent>("cache get", { method: "GET", path: cachePath(full), signal: scoped }),
      signal,
    );
    return toCachedContext(body, "cache get");
  } catch (error) {
    throw classify(error, full);
  }
}

/** Every live cache, following `nextPageToken` (the service answers `{}` when there are none). */
export async function listCachedContents(
  client: GeminiClient,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): Promise<CachedContext[]> {
  const caches: CachedContext[] = [];
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 100, 1_000));
  let token: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const query = new URLSearchParams({ pageSize: String(pageSize) });
    if (token !== undefined) query.set("pageToken", token);
    const { body } = await client.call(
      "cache list",
      (_attempt, scoped) =>
        client.native<{ cachedContents?: RawCachedContent[]; nextPageToken?: unknown }>("cache list", {
          method: "GET",
          path: `cachedContents?${query}`,
          signal: scoped,
        }),
      options.signal,
    );
    for (const raw of Array.isArray(body.cachedContents) ? body.cachedContents : [])
      caches.push(toCachedContext(raw, "cache list"));
    const next = text(body.nextPageToken);
    if (!next || next === token) break;
    token = next;
  }
  return caches;
}

/**
 * Sets a cache to expire `ttlSeconds` from now (`PATCH …?updateMask=ttl`). Throws CacheNotFoundError when it is gone.
 */
export async function updateCachedContentTtl(
  client: GeminiClient,
  name: string,
  ttlSeconds: number,
  signal?: AbortSignal,
): Promise<CachedContext> {
  const full = cacheName(name);
  const ttl = duration(ttlSeconds);
  try {
    const { body } = await client.call(
      "cache update",
      (_attempt, scoped) =>
        client.native<RawCachedContent>("cache update", {
          method: "PATCH",
          path: `${cachePath(full)}?updateMask=ttl`,
          body: { ttl },
          signal: scoped,
        }),
      signal,
    );
    return toCachedContext(body, "cache update");
  } catch (error) {
    throw classify(error, full);
  }
}

/** Deletes a cache; false when it was already gone (expired, or deleted by a retried call). */
export async function deleteCachedContent(client: GeminiClient, name: string, signal?: AbortSignal): Promise<boolean> {
  const full = cacheName(name);
  try {
    await client.call(
      "cache delete",
      (_attempt, scoped) => client.native("cache delete", { method: "DELETE", path: cachePath(full), signal: scoped }),
      signal,
    );
    return true;
  } catch (error) {
    if (isCacheGone(error)) return false;
    throw error;
  }
}

/** Gemini's cachedContents as a ContextCacheService (needs the native API: see `GeminiClient.hasNative`). */
export function createGeminiContextCaches(client: GeminiClient): ContextCacheService {
  return {
    minTokens: minCacheTokens,
    create: (request, options: CacheCallOptions = {}) => createCachedContent(client, request, options.signal),
    get: (name, options: CacheCallOptions = {}) => getCachedContent(client, name, options.signal),
    list: (options: CacheCallOptions = {}) => listCachedContents(client, { signal: options.signal }),
    updateTtl: (name, ttlSeconds, options: CacheCallOptions = {}) =>
      updateCachedContentTtl(client, name, ttlSeconds, options.signal),
    delete: (name, options: CacheCallOptions = {}) => deleteCachedContent(client, name, options.signal),
    isGone: isCacheGone,
    tooSmall: readCacheTooSmall,
  };
}
