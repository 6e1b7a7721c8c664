import { describe, expect, it } from "vitest";
import {
  type CacheRegistryEntry,
  ContextCache,
  type KeyValueStore,
  type StableContext,
  stableContext,
} from "../../src/answer/context-cache.js";
import { ProviderError } from "../../src/errors.js";
import type { CachedContext, ContextCacheService, CreateCachedContextRequest } from "../../src/providers/types.js";
import { metaKeys } from "../../src/store/meta-keys.js";

class GoneError extends Error {}
class SmallError extends Error {
  constructor(
    readonly total: number,
    readonly min: number,
  ) {
    super("too small");
  }
}

/**
 * An in-memory ContextCacheService on a manual clock: caches expire at `expireTime`; every call
 * is recorded; `failNext` makes the next call of a kind throw.
 */
function fakeService(clock: { now: number }, options: { minTokens?: number; serviceMin?: number } = {}) {
  const caches = new Map<string, { expire: number; tokens: number }>();
  const calls: Array<{ kind: string; name?: string; request?: CreateCachedContextRequest; ttl?: number }> = [];
  const failures = new Map<string, unknown>();
  let ids = 0;
  const live = (name: string) => {
    const cache = caches.get(name);
    if (!cache || cache.expire <= clock.now) throw new GoneError(name);
    return cache;
  };
  const view = (name: string): CachedContext => {
    const cache = caches.get(name)!;
    return { name, model: "m", expireTime: new Date(cache.expire).toISOString(), totalTokens: cache.tokens };
  };
  const fail = (kind: string) => {
    const error = failures.get(kind);
    if (error !== undefined) {
      failures.delete(kind);
      throw error;
    }
  };
  const service: ContextCacheService = {
    minTokens: () => options.minTokens ?? 1000,
    async create(request) {
      calls.push({ kind: "create", request });
      fail("create");
      const tokens = request.contents.join("").length + (request.systemInstruction ?? "").length;
      if (options.serviceMin !== undefined && tokens < options.serviceMin)
        throw new SmallError(tokens, options.serviceMin);
      const name = `cachedContents/c${++ids}`;
      caches.set(name, { expire: clock.now + request.ttlSeconds * 1000, tokens });
      return view(name);
    },
    async get(name) {
      live(name);
      return view(name);
    },
    async list() {
      return [...caches.keys()].map(view);
    },
    async updateTtl(name, ttl) {
      calls.push({ kind: "update", name, ttl });
      fail("update");
      live(name).expire = clock.now + ttl * 1000;
      return view(name);
    },
    async delete(name) {
      calls.push({ kind: "delete", name });
      return caches.delete(name.startsWith("cachedContents/") ? name : `cachedContents/${name}`);
    },
    isGone: (error) => error instanceof GoneError,
    tooSmall: (error) => (error instanceof SmallError ? { totalTokens: error.total, minTokens: error.min } : undefined),
  };
  return { service, calls, caches, failNext: (kind: string, error: unknown) => failures.set(kind, error) };
}

function memoryRegistry(): KeyValueStore & { values: Map<string, unknown>; failWrites: boolean } {
  const values = new Map<string, unknown>();
  const registry = {
    values,
    failWrites: false,
    async readValue<T>(key: string) {
      return values.get(key) as T | undefined;
    },
    async writeValue(key: string, value: unknown) {
      if (registry.failWrites) throw new Error("disk full");
      values.set(key, structuredClone(value));
    },
    async readValues<T>(prefix: string) {
      return [...values].filter(([key]) => key.startsWith(prefix)).map(([key, value]) => ({ key, value: value as T }));
    },
    async deleteValue(key: string) {
      values.delete(key);
    },
  };
  return registry;
}

function context(text: string, tokens: number, pins = ["guide.md"]): StableContext {
  return stableContext({
    model: "models/gemini-2.5-flash",
    systemInstruction: "Cite.",
    contents: [text],
    tokens,
    pins,
  });
}

function setup(options: { minTokens?: number; serviceMin?: number } = {}) {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const fake = fakeService(clock, options);
  const registry = memoryRegistry();
  const cache = new ContextCache({ service: fake.service, registry, now: () => clock.now });
  return { clock, fake, registry, cache };
}

describe("stableContext", () => {
  it("keys by model, instruction and contents, with or without the models/ prefix", () => {
    const a = context("pinned", 10);
    expect(a.model).toBe("gemini-2.5-flash");
    expect(
      stableContext({
        model: "gemini-2.5-flash",
        systemInstruction: "Cite.",
        contents: ["pinned"],
        tokens: 10,
        pins: [],
      }).key,
    ).toBe(a.key);
    expect(context("pinned!", 10).key).not.toBe(a.key);
    expect(
      stableContext({ model: "gemini-2.5-pro", systemInstruction: "Cite.", contents: ["pinned"], tokens: 10, pins: [] })
        .key,
    ).not.toBe(a.key);
  });
});

describe("ContextCache.acquire", () => {
  it(`does not offer a context clearly below the model's minimum, \
and says so only when documents are pinned`, async () => {
    const { cache, fake } = setup({ minTokens: 1000 });
    expect(await cache.acquire(context("x", 899))).toEqual({
      notices: [
        expect.objectContaining({
          kind: "cache-too-small",
          model: "gemini-2.5-flash",
          minimum: 1000,
          message: expect.stringMatching(/below gemini-2\.5-flash's context-cache minimum of 1000/),
        }),
      ],
    });
    expect(await cache.acquire(context("x", 10, []))).toEqual({ notices: [] });
    expect(fake.calls).toEqual([]);
  });

  it(`creates a cache near or above the minimum and records it; the next question reuses it without a \
call`, async () => {
    const { cache, fake, registry } = setup({ minTokens: 1000 });
    const stable = context("p".repeat(2000), 950);
    const first = await cache.acquire(stable);
    expect(first.cache).toMatchObject({ name: "cachedContents/c1", state: "created", totalTokens: 2005 });
    expect(fake.calls).toEqual([
      {
        kind: "create",
        request: {
          model: "gemini-2.5-flash",
          systemInstruction: "Cite.",
          contents: [stable.contents[0]],
          ttlSeconds: 600,
          displayName: `gemindex ${stable.key.slice(0, 8)}: guide.md`,
        },
      },
    ]);
    const entry = registry.values.get(metaKeys.answerCache(stable.key)) as CacheRegistryEntry;
    expect(entry).toMatchObject({
      key: stable.key,
      model: "gemini-2.5-flash",
      status: "ready",
      name: "cachedContents/c1",
      pins: ["guide.md"],
      totalTokens: 2005,
    });
    expect(entry.expireTime).toBe("2026-01-01T00:10:00.000Z");

    expect((await cache.acquire(stable)).cache).toMatchObject({ name: "cachedContents/c1", state: "reused" });
    expect(fake.calls).toHaveLength(1);
  });

  it("extends the lifetime when less than three minutes are left, and records the new expiry", async () => {
    const { cache, fake, registry, clock } = setup();
    const stable = context("p".repeat(2000), 2000);
    await cache.acquire(stable);
    clock.now += 419_000; // 181 s left
    expect((await cache.acquire(stable)).cache?.state).toBe("reused");
    clock.now += 2_000; // 179 s left
    const refreshed = await cache.acquire(stable);
    expect(refreshed.cache).toMatchObject({
      name: "cachedContents/c1",
      state: "refreshed",
      expireTime: "2026-01-01T00:17:01.000Z",
    });
    expect(fake.calls.map((call) => call.kind)).toEqual(["create", "update"]);
    expect(fake.calls[1]).toMatchObject({ name: "cachedContents/c1", ttl: 600 });
    expect((registry.values.get(metaKeys.answerCache(stable.key)) as CacheRegistryEntry).expireTime).toBe(
      "2026-01-01T00:17:01.000Z",
    );
  });

  it("creates a new cache when the refresh finds the old one gone, and when the clock says it expired", async () => {
    const { cache, fake, clock } = setup();
    const stable = context("p".repeat(2000), 2000);
    await cache.acquire(stable);
    fake.caches.clear(); // deleted by someone else
    clock.now += 500_000;
    expect((await cache.acquire(stable)).cache).toMatchObject({ name: "cachedContents/c2", state: "created" });
    expect(fake.calls.map((call) => call.kind)).toEqual(["create", "update", "create"]);

    clock.now += 601_000;
    expect((await cache.acquire(stable)).cache).toMatchObject({ name: "cachedContents/c3", state: "created" });
    expect(fake.calls.map((call) => call.kind)).toEqual(["create", "update", "create", "create"]);
  });

  it("remembers the service's 'too small' for the content, and its minimum for the model", async () => {
    const { cache, fake, registry } = setup({ minTokens: 1000, serviceMin: 5000 });
    const stable = context("p".repeat(3000), 3000);
    const decision = await cache.acquire(stable);
    expect(decision.cache).toBeUndefined();
    expect(decision.notices).toEqual([
      expect.objectContaining({
        kind: "cache-too-small",
        tokens: 3005,
        minimum: 5000,
        message: expect.stringMatching(/\(3005 tokens with the instructions\) are below .* minimum of 5000/),
      }),
    ]);
    expect(registry.values.get(metaKeys.answerCache(stable.key))).toMatchObject({
      status: "too-small",
      totalTokens: 3005,
      minTokens: 5000,
    });

    await cache.acquire(stable);
    await cache.acquire(context("q".repeat(4000), 4400)); // other content, below the learned minimum
    expect(fake.calls).toHaveLength(1);
    await cache.acquire(context("r".repeat(6000), 6000));
    expect(fake.calls).toHaveLength(2);
  });

  it("goes on uncached with a notice when creating fails, and lets an abort through", async () => {
    const { cache, fake } = setup();
    const stable = context("p".repeat(2000), 2000);
    fake.failNext("create", new ProviderError("Gemini cache create request failed (503 UNAVAILABLE)", { status: 503 }));
    expect(await cache.acquire(stable)).toEqual({
      notices: [
        expect.objectContaining({
          kind: "cache-failed",
          step: "create",
          pinned: true,
          message: expect.stringMatching(
            /could not create a context cache \(.*503.*\); the pinned documents are sent uncached/,
          ),
        }),
      ],
    });

    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    fake.failNext("create", reason);
    await expect(cache.acquire(stable, { signal: controller.signal })).rejects.toBe(reason);
    expect((await cache.acquire(stable)).cache?.state).toBe("created");
  });

  it("makes one cache for concurrent questions", async () => {
    const { cache, fake } = setup();
    const stable = context("p".repeat(2000), 2000);
    const decisions = await Promise.all([cache.acquire(stable), cache.acquire(stable), cache.acquire(stable)]);
    expect(new Set(decisions.map((decision) => decision.cache?.name))).toEqual(new Set(["cachedContents/c1"]));
    expect(fake.calls).toHaveLength(1);
  });

  it(`still uses a new cache when the registry cannot be written, \
and says the next question makes another`, async () => {
    const { cache, registry } = setup();
    registry.failWrites = true;
    const decision = await cache.acquire(context("p".repeat(2000), 2000));
    expect(decision.cache?.state).toBe("created");
    expect(decision.notices).toEqual([
      expect.objectContaining({
        kind: "cache-registry-failed",
        step: "record",
        error: "disk full",
        message: expect.stringMatching(/could not record the context cache in the index \(disk full\)/),
      }),
    ]);
  });

  it("caches nothing without a service, and says so when documents are pinned", async () => {
    const cache = new ContextCache();
    expect(cache.available).toBe(false);
    expect(await cache.acquire(context("p".repeat(2000), 2000))).toEqual({
      notices: [
        expect.objectContaining({ kind: "cache-unavailable", message: expect.stringMatching(/no context caching/) }),
      ],
    });
    expect(await cache.acquire(context("x", 1, []))).toEqual({ notices: [] });
  });
});

describe("ContextCache.renew, forget and delete", () => {
  it("replaces a cache a request found gone, unless another caller already did", async () => {
    const { cache, fake } = setup();
    const stable = context("p".repeat(2000), 2000);
    await cache.acquire(stable);
    expect((await cache.renew(stable, "cachedContents/c1")).cache).toMatchObject({
      name: "cachedContents/c2",
      state: "created",
    });
    expect((await cache.renew(stable, "cachedContents/c1")).cache).toMatchObject({
      name: "cachedContents/c2",
      state: "reused",
    });
    expect(fake.calls.filter((call) => call.kind === "create")).toHaveLength(2);
  });

  it("deletes at the service and forgets the registry row, by full name or id", async () => {
    const { cache, fake, registry } = setup();
    await cache.acquire(context("p".repeat(2000), 2000));
    expect(await cache.delete("c1")).toEqual({ deleted: true, forgotten: 1 });
    expect(fake.calls.at(-1)).toEqual({ kind: "delete", name: "c1" });
    expect(registry.values.size).toBe(0);
    expect(await cache.delete("cachedContents/c1")).toEqual({ deleted: false, forgotten: 0 });
  });

  it("drops registry rows of expired caches when it creates a new one", async () => {
    const { cache, registry, clock } = setup();
    await cache.acquire(context("a".repeat(2000), 2000));
    clock.now += 700_000;
    await cache.acquire(context("b".repeat(2000), 2000));
    expect([...registry.values.values()].map((entry) => (entry as CacheRegistryEntry).name)).toEqual([
      "cachedContents/c2",
    ]);
  });
});
