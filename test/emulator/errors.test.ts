import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./index.js";
import { compat, googleError, native, sdk } from "./testing.js";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ["key-one", "key-two"] });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.options = { apiKeys: ["key-one", "key-two"] };
});

const chat = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] };

describe("strict request parsing", () => {
  it("rejects unknown top-level fields with an array-wrapped BadRequest on compat", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", { ...chat, web_search_options: {}, thinking: {} });
    expect(reply.status).toBe(400);
    expect(Array.isArray(reply.body)).toBe(true);
    expect(reply.body).toHaveLength(1);
    const error = googleError(reply.body);
    expect(error.status).toBe("INVALID_ARGUMENT");
    expect(error.message).toBe(
      'Invalid JSON payload received. Unknown name "web_search_options": Cannot find field.\n' +
        'Invalid JSON payload received. Unknown name "thinking": Cannot find field.',
    );
    expect(error.details).toEqual([
      {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [
          { description: 'Invalid JSON payload received. Unknown name "web_search_options": Cannot find field.' },
          { description: 'Invalid JSON payload received. Unknown name "thinking": Cannot find field.' },
        ],
      },
    ]);
  });

  it("rejects unknown fields with a bare error object on native endpoints", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
      content: { parts: [{ text: "x" }] },
      dimensions: 5,
    });
    expect(reply.status).toBe(400);
    expect(Array.isArray(reply.body)).toBe(false);
    expect(googleError(reply.body).message).toBe(
      'Invalid JSON payload received. Unknown name "dimensions": Cannot find field.',
    );
  });

  it("reaches the openai SDK as a BadRequestError whose body is lost (array-wrapped)", async () => {
    const client = sdk(emulator, "key-one");
    const params = { ...chat, seed: 1 } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const error = await client.chat.completions.create(params).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).error).toBeUndefined();
  });

  it("accepts the unconfirmed params when acceptUnconfirmedParams is on", async () => {
    emulator.options.acceptUnconfirmedParams = true;
    const reply = await compat(
      emulator,
      "POST",
      "chat/completions",
      { ...chat, seed: 1, frequency_penalty: 0.1, google: {} },
      "key-one",
    );
    expect(reply.status).toBe(200);
  });

  it("answers malformed JSON with 400 INVALID_ARGUMENT", async () => {
    const response = await fetch(`${emulator.baseURL}chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer key-one", "content-type": "application/json" },
      body: "{nope",
    });
    expect(response.status).toBe(400);
    expect(googleError(await response.json()).message).toMatch(/^Invalid JSON payload received/);
  });
});

describe("API keys", () => {
  it("accepts any configured key", async () => {
    expect((await compat(emulator, "POST", "chat/completions", chat, "key-two")).status).toBe(200);
  });

  it("answers a wrong key with 400 API_KEY_INVALID", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", chat, "wrong");
    expect(reply.status).toBe(400);
    const error = googleError(reply.body);
    expect(error.message).toBe("API key not valid. Please pass a valid API key.");
    expect(error.details![0]).toMatchObject({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "API_KEY_INVALID",
    });
  });

  it("uses 401 UNAUTHENTICATED for a wrong key when invalidKeyStatus is 401", async () => {
    emulator.options.invalidKeyStatus = 401;
    const error = await sdk(emulator, "wrong")
      .models.list()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("answers a missing key with 403 PERMISSION_DENIED (unregistered callers)", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", chat, null);
    expect(reply.status).toBe(403);
    expect(Array.isArray(reply.body)).toBe(true);
    expect(googleError(reply.body).message).toMatch(/^Method doesn't allow unregistered callers/);
    emulator.options.missingKeyWrapped = false;
    expect(Array.isArray((await compat(emulator, "POST", "chat/completions", chat, null)).body)).toBe(false);
  });

  it("takes native keys from x-goog-api-key or ?key= and refuses a bare Bearer there", async () => {
    expect((await native(emulator, "GET", "/v1beta/models", undefined, { "x-goog-api-key": "key-one" })).status).toBe(
      200,
    );
    expect((await native(emulator, "GET", "/v1beta/models?key=key-two", undefined, {})).status).toBe(200);
    const bearer = await native(emulator, "GET", "/v1beta/models", undefined, { authorization: "Bearer key-one" });
    expect(bearer.status).toBe(401);
    expect(googleError(bearer.body).status).toBe("UNAUTHENTICATED");
  });

  it("logs failed requests too, with their status", async () => {
    await compat(emulator, "POST", "chat/completions", chat, "wrong");
    expect(emulator.requests({ path: "chat/completions" }).map((entry) => entry.status)).toEqual([400]);
    expect(emulator.log[0]!.headers.authorization).toBe("Bearer wrong");
  });
});

describe("429 RESOURCE_EXHAUSTED", () => {
  it("injects a 429 with QuotaFailure, Help and RetryInfo and no Retry-After header", async () => {
    emulator.inject({ path: "embeddings", status: 429, retryDelay: "7s" });
    const reply = await compat(
      emulator,
      "POST",
      "embeddings",
      { model: "gemini-embedding-001", input: "x" },
      "key-one",
    );
    expect(reply.status).toBe(429);
    expect(reply.headers.get("retry-after")).toBeNull();
    expect(reply.headers.get("retry-after-ms")).toBeNull();
    const error = googleError(reply.body);
    expect(error.status).toBe("RESOURCE_EXHAUSTED");
    expect(error.message).toContain("Please retry in 7s.");
    expect(error.details!.map((detail) => detail["@type"])).toEqual([
      "type.googleapis.com/google.rpc.Help",
      "type.googleapis.com/google.rpc.QuotaFailure",
      "type.googleapis.com/google.rpc.RetryInfo",
    ]);
    expect(error.details![2]).toEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "7s" });
    // consumed: the next call succeeds
    expect(
      (await compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: "x" }, "key-one")).status,
    ).toBe(200);
  });

  it("enforces RPM per model until the window slides on the emulator clock", async () => {
    emulator.options.limits = { "gemini-embedding-001": { rpm: 2, countEmbeddingItems: false } };
    const call = () =>
      compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: ["a", "b", "c"] }, "key-one");
    expect((await call()).status).toBe(200);
    emulator.advanceTime(10_000);
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    const error = googleError(limited.body);
    expect(error.details![1]).toMatchObject({
      violations: [
        {
          quotaId: "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier",
          quotaValue: "2",
          quotaDimensions: { model: "gemini-embedding-001" },
        },
      ],
    });
    expect(error.details![2]).toMatchObject({ retryDelay: "50s" });
    // Another model is unaffected.
    expect((await compat(emulator, "POST", "chat/completions", chat, "key-one")).status).toBe(200);
    emulator.advanceTime(50_000);
    expect((await call()).status).toBe(200);
  });

  it("counts each embedding item as a request by default", async () => {
    emulator.options.limits = { "gemini-embedding-001": { rpm: 5 } };
    const call = (n: number) =>
      compat(
        emulator,
        "POST",
        "embeddings",
        { model: "gemini-embedding-001", input: Array.from({ length: n }, () => "w") },
        "key-one",
      );
    expect((await call(3)).status).toBe(200);
    expect((await call(3)).status).toBe(429);
    expect((await call(2)).status).toBe(200);
  });

  it("enforces TPM and RPD", async () => {
    emulator.options.limits = { "gemini-2.5-flash": { tpm: 10, rpd: 3 } };
    const big = await compat(
      emulator,
      "POST",
      "chat/completions",
      { ...chat, messages: [{ role: "user", content: "x".repeat(80) }] },
      "key-one",
    );
    expect(big.status).toBe(429);
    expect(googleError(big.body).details![1]).toMatchObject({
      violations: [{ quotaId: "GenerateContentInputTokensPerModelPerMinute-FreeTier" }],
    });
    for (let i = 0; i < 3; i++)
      expect((await compat(emulator, "POST", "chat/completions", chat, "key-one")).status).toBe(200);
    const daily = await compat(emulator, "POST", "chat/completions", chat, "key-one");
    expect(googleError(daily.body).details![1]).toMatchObject({
      violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }],
    });
  });
});

describe("injected faults", () => {
  it("answers 500/503/504 the given number of times, then recovers", async () => {
    emulator.inject({ method: "POST", path: "chat/completions", status: 503, times: 2 });
    emulator.inject({ path: /chat/, status: 504 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await compat(emulator, "POST", "chat/completions", chat, "key-one")).status);
    expect(statuses).toEqual([503, 503, 504, 200]);
    emulator.inject({ path: "chat/completions", status: 500 });
    const error = await sdk(emulator, "key-one")
      .chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it("sends a custom body verbatim", async () => {
    emulator.inject({ path: "models", status: 502, body: { oops: true } });
    const reply = await compat(emulator, "GET", "models", undefined, "key-one");
    expect(reply).toMatchObject({ status: 502, body: { oops: true } });
  });

  it("drops the connection, surfacing as an APIConnectionError", async () => {
    emulator.inject({ path: "chat/completions", status: 0, dropConnection: true });
    const error = await sdk(emulator, "key-one")
      .chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it("delays every response by latencyMs", async () => {
    emulator.options.latencyMs = 60;
    const started = Date.now();
    await compat(emulator, "GET", "models", undefined, "key-one");
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe("unknown routes", () => {
  it("does not offer compat file upload (404, array-wrapped)", async () => {
    const reply = await compat(emulator, "GET", "files", undefined, "key-one");
    expect(reply.status).toBe(404);
    expect(Array.isArray(reply.body)).toBe(true);
  });

  it("answers an unknown chat model with Google's 404 text", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", { ...chat, model: "gemini-1.0-pro" }, "key-one");
    expect(reply.status).toBe(404);
    expect(googleError(reply.body).message).toBe(
      "models/gemini-1.0-pro is not found for API version v1beta, or is not supported for generateContent. Call " +
        "ListModels to see the list of available models and their supported methods.",
    );
  });
});
