import { describe, expect, it } from "vitest";
import { ConfigError, ProviderError } from "../../src/errors.js";
import {
  CacheNotFoundError,
  cacheName,
  isCacheGone,
  minCacheTokens,
  readCacheTooSmall,
  toCachedContext,
} from "../../src/providers/gemini/caches.js";
import { createRedactor, errorFromResponse } from "../../src/providers/gemini/errors.js";

const context = {
  operation: "chat",
  endpoint: "https://example.invalid/v1beta/openai/",
  redact: createRedactor("AIzaSy-test-key-0123456789"),
};
const googleBody = (code: number, status: string, message: string) => [{ error: { code, status, message } }];

describe("cache errors", () => {
  it("recognises Gemini's 403 'CachedContent not found' from a chat request as a gone cache", () => {
    const error = errorFromResponse(
      403,
      googleBody(403, "PERMISSION_DENIED", "CachedContent not found (or permission denied)")[0],
      context,
    );
    expect(isCacheGone(error)).toBe(true);
    expect(isCacheGone(new CacheNotFoundError("cachedContents/x", error))).toBe(true);
  });

  it("does not mistake other 403s, 404s or non-provider errors for a gone cache", () => {
    expect(
      isCacheGone(
        errorFromResponse(
          403,
          { error: { code: 403, status: "PERMISSION_DENIED", message: "The caller does not have permission" } },
          context,
        ),
      ),
    ).toBe(false);
    expect(isCacheGone(new ProviderError("CachedContent not found", { status: 404 }))).toBe(false);
    expect(isCacheGone(new Error("CachedContent not found"))).toBe(false);
  });

  it("reads the numbers of a 'too small' 400", () => {
    const error = errorFromResponse(
      400,
      {
        error: {
          code: 400,
          status: "INVALID_ARGUMENT",
          message: "Cached content is too small. total_token_count=16, min_total_token_count=1024",
        },
      },
      context,
    );
    expect(readCacheTooSmall(error)).toEqual({ totalTokens: 16, minTokens: 1024 });
    expect(
      readCacheTooSmall(errorFromResponse(400, { error: { code: 400, message: "Invalid JSON payload" } }, context)),
    ).toBeUndefined();
    expect(readCacheTooSmall(new ProviderError("Cached content is too small.", { status: 400 }))).toEqual({
      totalTokens: undefined,
      minTokens: undefined,
    });
  });
});

describe("cache names, minimums and replies", () => {
  it("accepts an id or a full name, and refuses anything else", () => {
    expect(cacheName("abc")).toBe("cachedContents/abc");
    expect(cacheName(" cachedContents/abc ")).toBe("cachedContents/abc");
    expect(() => cacheName("")).toThrow(ConfigError);
    expect(() => cacheName("files/abc")).toThrow(/Not a cachedContent name/);
  });

  it("uses the lowest documented minimum per model, and 1,024 for models it does not know", () => {
    expect(minCacheTokens("models/gemini-2.5-flash")).toBe(1024);
    expect(minCacheTokens("gemini-2.5-pro")).toBe(2048);
    expect(minCacheTokens("gemini-3-flash-preview")).toBe(1024);
    expect(minCacheTokens("gemini-3-pro-preview")).toBe(4096);
    expect(minCacheTokens("gemini-9-ultra")).toBe(1024);
  });

  it("reads a CachedContent with the model prefix removed and the token count as a number", () => {
    expect(
      toCachedContext(
        {
          name: "cachedContents/a",
          model: "models/gemini-2.5-flash",
          expireTime: "2026-01-01T00:10:00.000000Z",
          usageMetadata: { totalTokenCount: 4096 },
        },
        "cache get",
      ),
    ).toEqual({
      name: "cachedContents/a",
      model: "gemini-2.5-flash",
      expireTime: "2026-01-01T00:10:00.000000Z",
      totalTokens: 4096,
    });
    expect(() => toCachedContext({}, "cache get")).toThrow(/no cachedContent name/);
  });
});
