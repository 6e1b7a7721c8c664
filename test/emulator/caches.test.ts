import OpenAI from "openai";
import { beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../support/use-emulator.js";
import type { Emulator } from "./index.js";
import { compat, googleError, native, sdk, uploadFile } from "./testing.js";

let emulator: Emulator;
let client: OpenAI;

useEmulator((started) => {
  emulator = started;
  client = sdk(emulator);
});
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

/** ~1,300 tokens of numbered sources: above the 1,024 minimum for Flash. */
const BIG_CONTEXT =
  `[1] guide.md\nThe cache keeps pinned documents ready for every question. ` +
  `${"Filler sentence about the corpus. ".repeat(160)}`;

async function createCache(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const reply = await native(emulator, "POST", "/v1beta/cachedContents", {
    model: "models/gemini-2.5-flash",
    contents: [{ role: "user", parts: [{ text: BIG_CONTEXT }] }],
    systemInstruction: { parts: [{ text: "Answer with citations." }] },
    displayName: "pinned",
    ttl: "600s",
    ...extra,
  });
  expect(reply.status).toBe(200);
  return reply.body as Record<string, unknown>;
}

function chatWithCache(
  name: string,
  messages: unknown[] = [{ role: "user", content: "What does the cache keep?" }],
  model = "gemini-2.5-flash",
) {
  return compat(emulator, "POST", "chat/completions", {
    model,
    messages,
    extra_body: { google: { cached_content: name } },
  });
}

describe("cachedContents lifecycle", () => {
  it("creates a cache with a TTL and returns CachedContent without contents", async () => {
    const cache = await createCache();
    expect(cache.name).toMatch(/^cachedContents\/[a-z0-9]+$/);
    expect(cache).toMatchObject({ model: "models/gemini-2.5-flash", displayName: "pinned" });
    expect(cache).not.toHaveProperty("contents");
    expect((cache.usageMetadata as { totalTokenCount: number }).totalTokenCount).toBeGreaterThan(1024);
    expect(Date.parse(cache.expireTime as string) - Date.parse(cache.createTime as string)).toBe(600_000);
  });

  it("defaults the TTL to one hour and accepts an explicit expireTime", async () => {
    const defaulted = await createCache({ ttl: undefined });
    expect(Date.parse(defaulted.expireTime as string) - Date.parse(defaulted.createTime as string)).toBe(3_600_000);
    const expireTime = new Date(emulator.now() + 120_000).toISOString();
    expect((await createCache({ ttl: undefined, expireTime })).expireTime).toBe(expireTime.replace("Z", "000Z"));
    const both = await native(emulator, "POST", "/v1beta/cachedContents", {
      model: "models/gemini-2.5-flash",
      contents: [],
      ttl: "1s",
      expireTime,
    });
    expect(googleError(both.body).message).toContain("Oneof field 'expiration' is already set");
  });

  it("gets, lists, patches the ttl and deletes", async () => {
    const cache = await createCache();
    const name = cache.name as string;
    expect((await native(emulator, "GET", `/v1beta/${name}`)).body).toEqual(cache);
    expect(
      ((await native(emulator, "GET", "/v1beta/cachedContents")).body as { cachedContents: unknown[] }).cachedContents,
    ).toEqual([cache]);
    emulator.advanceTime(1_000);
    const patched = (await native(emulator, "PATCH", `/v1beta/${name}?updateMask=ttl`, { ttl: "3600s" }))
      .body as Record<string, string>;
    expect(Date.parse(patched.expireTime!) - emulator.now()).toBeGreaterThan(3_599_000);
    expect(patched.updateTime).not.toBe(cache.updateTime);
    const refused = await native(emulator, "PATCH", `/v1beta/${name}?updateMask=displayName`, { displayName: "x" });
    expect(refused.status).toBe(400);
    expect((await native(emulator, "DELETE", `/v1beta/${name}`)).body).toEqual({});
    expect((await native(emulator, "GET", `/v1beta/${name}`)).status).toBe(403);
    expect((await native(emulator, "GET", "/v1beta/cachedContents")).body).toEqual({});
  });

  it("refuses a cache below the model's minimum with Google's exact text", async () => {
    const reply = await native(emulator, "POST", "/v1beta/cachedContents", {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ text: "x".repeat(64) }] }],
    });
    expect(reply.status).toBe(400);
    expect(Array.isArray(reply.body)).toBe(false);
    expect(googleError(reply.body).message).toBe(
      "Cached content is too small. total_token_count=16, min_total_token_count=1024",
    );
  });

  it("uses the 2026 minimum table on request", async () => {
    emulator.options.cacheMinTokens = "2026";
    const reply = await native(emulator, "POST", "/v1beta/cachedContents", {
      model: "models/gemini-2.5-flash",
      contents: [{ parts: [{ text: BIG_CONTEXT }] }],
    });
    expect(googleError(reply.body).message).toMatch(/min_total_token_count=2048$/);
  });

  it("counts text files referenced by file_data", async () => {
    const { file } = await uploadFile(emulator, Buffer.from(BIG_CONTEXT), { mimeType: "text/plain" });
    const reply = await native(emulator, "POST", "/v1beta/cachedContents", {
      model: "models/gemini-2.5-flash",
      contents: [{ role: "user", parts: [{ file_data: { file_uri: file.uri, mime_type: "text/plain" } }] }],
    });
    expect(reply.status).toBe(200);
  });
});

describe("using a cache from compat chat", () => {
  it("answers from the cached sources and reports cached_tokens", async () => {
    const cache = await createCache();
    const reply = await chatWithCache(cache.name as string);
    expect(reply.status).toBe(200);
    const body = reply.body as OpenAI.ChatCompletion;
    expect(body.choices[0]!.message.content).toContain(
      "The cache keeps pinned documents ready for every question [1].",
    );
    const cached = (cache.usageMetadata as { totalTokenCount: number }).totalTokenCount;
    expect(body.usage!.prompt_tokens_details).toEqual({ cached_tokens: cached });
    expect(body.usage!.prompt_tokens).toBeGreaterThan(cached);
  });

  it("answers 403 CachedContent not found once the TTL has passed", async () => {
    const cache = await createCache();
    emulator.advanceTime(600_000);
    const reply = await chatWithCache(cache.name as string);
    expect(reply.status).toBe(403);
    expect(Array.isArray(reply.body)).toBe(true);
    expect(googleError(reply.body)).toMatchObject({
      status: "PERMISSION_DENIED",
      message: "CachedContent not found (or permission denied)",
    });
    await expect(
      client.chat.completions.create({
        model: "gemini-2.5-flash",
        messages: [{ role: "user", content: "x" }],
        extra_body: { google: { cached_content: cache.name } },
      } as OpenAI.ChatCompletionCreateParamsNonStreaming),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it("answers 403 for a name that never existed", async () => {
    expect((await chatWithCache("cachedContents/doesnotexist")).status).toBe(403);
  });

  it("refuses a system message or tools together with the cache", async () => {
    const cache = await createCache();
    const withSystem = await chatWithCache(cache.name as string, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
    expect(withSystem.status).toBe(400);
    expect(googleError(withSystem.body).message).toBe(
      "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.",
    );
    const withTools = await compat(emulator, "POST", "chat/completions", {
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "f" } }],
      extra_body: { google: { cached_content: cache.name } },
    });
    expect(withTools.status).toBe(400);
  });

  it("refuses a model other than the cache's", async () => {
    const cache = await createCache();
    const reply = await chatWithCache(cache.name as string, undefined, "gemini-2.5-pro");
    expect(googleError(reply.body).message).toBe(
      "Model used by GenerateContent request (models/gemini-2.5-pro) and CachedContent (models/gemini-2.5-flash) " +
        "has to be the same.",
    );
  });
});
