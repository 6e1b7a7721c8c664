import { beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../support/use-emulator.js";
import { EMBEDDING_TIER_LIMITS, type Emulator } from "./index.js";
import { compat, googleError, native } from "./testing.js";

let emulator: Emulator;
useEmulator((started) => (emulator = started));
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const MINUTE = 60_000;

/** `n` inputs of `chars` characters each (ceil(chars / 4) tokens apiece). */
function embed(n: number, chars = 4) {
  return compat(emulator, "POST", "embeddings", {
    model: "gemini-embedding-001",
    input: Array.from({ length: n }, (_, i) => `${i}`.padEnd(chars, "x")),
    encoding_format: "float",
  });
}

function detail(body: unknown, type: string): Record<string, unknown> {
  const found = googleError(body).details?.find((item) => String(item["@type"]).endsWith(type));
  if (!found) throw new Error(`no ${type} detail in ${JSON.stringify(body)}`);
  return found;
}

function violation(body: unknown): Record<string, unknown> {
  return (detail(body, "QuotaFailure").violations as Record<string, unknown>[])[0]!;
}

describe("tier presets", () => {
  it('tier "free" counts every embedding input as a request: 100 inputs a minute', async () => {
    emulator.options.tier = "free";
    expect((await embed(100)).status).toBe(200);
    const limited = await embed(1);
    expect(limited.status).toBe(429);
    expect(violation(limited.body)).toMatchObject({
      quotaId: "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier",
      quotaMetric: "generativelanguage.googleapis.com/embed_content_free_tier_requests",
      quotaValue: "100",
    });
    expect(detail(limited.body, "RetryInfo").retryDelay).toMatch(/^\d+s$/);
    emulator.advanceTime(MINUTE);
    expect((await embed(1)).status).toBe(200);
  });

  it('tier "free" holds 30,000 tokens a minute, and a request above it is refused however long one waits', async () => {
    emulator.options.tier = "free";
    // 50 inputs of 2,400 characters: 600 tokens each, 30,000 in all.
    expect((await embed(50, 2400)).status).toBe(200);
    const over = await embed(1, 4);
    expect(violation(over.body)).toMatchObject({
      quotaId: "EmbedContentInputTokensPerMinutePerUserPerProjectPerModel-FreeTier",
      quotaValue: "30000",
    });
    emulator.advanceTime(MINUTE);
    // 51 × 600 tokens can never fit a 30,000-token minute.
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await embed(51, 2400);
      expect(refused.status).toBe(429);
      expect(violation(refused.body)).toMatchObject({ quotaValue: "30000" });
      expect(googleError(refused.body).message).toContain("limit: 30000");
      emulator.advanceTime(5 * MINUTE);
    }
    expect((await embed(25, 2400)).status).toBe(200);
  });

  it(
    'tier "free" ends at 1,000 inputs a day with the PerDay quota ' +
      "id and a retry delay of seconds, as the service sends it",
    async () => {
      emulator.options.tier = "free";
      // The day ends at midnight Pacific: start just after one, so the ten minutes below stay in one day.
      emulator.advanceTime(untilNextPacificMidnight(emulator.now()) + MINUTE);
      for (let minute = 0; minute < 10; minute++) {
        expect((await embed(100)).status).toBe(200);
        emulator.advanceTime(MINUTE);
      }
      const daily = await embed(1);
      expect(daily.status).toBe(429);
      expect(violation(daily.body)).toMatchObject({
        quotaId: "EmbedContentRequestsPerDayPerUserPerProjectPerModel-FreeTier",
        quotaMetric: "generativelanguage.googleapis.com/embed_content_free_tier_requests",
        quotaValue: "1000",
      });
      const delay = Number(String(detail(daily.body, "RetryInfo").retryDelay).replace("s", ""));
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(60);
      expect(googleError(daily.body).message).toMatch(
        /limit: 1000, model: gemini-embedding-001\nPlease retry in [\d.]+s\.$/,
      );
      emulator.advanceTime(delay * 1000);
      expect((await embed(1)).status).toBe(429);
      emulator.advanceTime(24 * 60 * MINUTE);
      expect((await embed(1)).status).toBe(200);
    },
  );

  it('tier "1" allows 3,000 inputs a minute (and 1M tokens, no daily cap), with paid-tier quota ids', async () => {
    emulator.options.tier = "1";
    for (let i = 0; i < 30; i++) expect((await embed(100)).status).toBe(200);
    const limited = await embed(1);
    expect(violation(limited.body)).toMatchObject({
      quotaId: "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-PaidTier1",
      quotaValue: "3000",
    });
    expect(EMBEDDING_TIER_LIMITS["1"]).toMatchObject({ rpm: 3000, tpm: 1_000_000 });
    expect(EMBEDDING_TIER_LIMITS["1"].rpd).toBeUndefined();
  });

  it("applies the tier to native embedding calls, and a model's own limits win over it", async () => {
    emulator.options.tier = "free";
    emulator.options.limits = { "gemini-embedding-2-preview": { rpm: 2 } };
    const requests = Array.from({ length: 3 }, () => ({
      model: "models/gemini-embedding-2-preview",
      content: { parts: [{ text: "x" }] },
    }));
    const own = await native(emulator, "POST", "/v1beta/models/gemini-embedding-2-preview:batchEmbedContents", {
      requests,
    });
    expect(violation(own.body)).toMatchObject({ quotaValue: "2" });
    const tiered = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", {
      requests: Array.from({ length: 100 }, () => ({
        model: "models/gemini-embedding-001",
        content: { parts: [{ text: "x" }] },
      })),
    });
    expect(tiered.status).toBe(200);
    expect(
      (
        await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
          content: { parts: [{ text: "x" }] },
        })
      ).status,
    ).toBe(429);
  });
});

describe("transient 429s (the service short of capacity, not the caller's quota)", () => {
  it("answer a deterministic share of embedding requests with RetryInfo and no QuotaFailure", async () => {
    emulator.options.transientRateLimits = { share: 0.3, retryDelay: "2s" };
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const response = await embed(1);
      statuses.push(response.status);
      if (response.status === 429) {
        const error = googleError(response.body);
        expect(error.status).toBe("RESOURCE_EXHAUSTED");
        expect(error.details?.some((item) => String(item["@type"]).endsWith("QuotaFailure"))).toBe(false);
        expect(detail(response.body, "RetryInfo").retryDelay).toBe("2s");
      }
    }
    const refused = statuses.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThanOrEqual(20);
    expect(refused).toBeLessThanOrEqual(40);
    // The same requests are refused after a reset.
    emulator.reset();
    const again: number[] = [];
    for (let i = 0; i < 100; i++) again.push((await embed(1)).status);
    expect(again).toEqual(statuses);
  });

  it("an injected 429 leaves out QuotaFailure when asked to", async () => {
    emulator.inject({ path: "embeddings", status: 429, quotaFailure: false, retryDelay: "1s" });
    const response = await embed(1);
    expect(response.status).toBe(429);
    expect(googleError(response.body).details?.map((item) => String(item["@type"]).split(".").pop())).toEqual([
      "Help",
      "RetryInfo",
    ]);
  });
});

describe("hold() and answeredAt", () => {
  it("a held request is logged but answered only after release(); answeredAt records when", async () => {
    emulator.hold("embeddings");
    const pending = embed(1);
    while (emulator.requests({ path: "embeddings" }).length === 0)
      await new Promise((resolve) => setTimeout(resolve, 1));
    const [entry] = emulator.requests({ path: "embeddings" });
    expect(entry!.status).toBe(0);
    expect(entry!.answeredAt).toBeUndefined();
    emulator.release();
    expect((await pending).status).toBe(200);
    expect(entry!.answeredAt).toBeGreaterThanOrEqual(entry!.at);
  });
});

/** Milliseconds from `now` to the next midnight in America/Los_Angeles, where Gemini's daily quotas reset. */
function untilNextPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: "America/Los_Angeles",
    hourCycle: "h23",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(now));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const elapsed = ((part("hour") * 60 + part("minute")) * 60 + part("second")) * 1000 + (now % 1000);
  return 24 * 60 * MINUTE - elapsed;
}
