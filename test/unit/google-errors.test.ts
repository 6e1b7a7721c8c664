import { describe, expect, it } from "vitest";
import { AuthenticationError, ProviderError, QuotaExhaustedError } from "../../src/errors.js";
import {
  createRedactor,
  errorFromResponse,
  parseDuration,
  readGoogleError,
} from "../../src/providers/gemini/errors.js";

const context = {
  operation: "embeddings",
  endpoint: "https://example.test/v1beta/openai/",
  redact: createRedactor("sk-secret-123"),
};

const quotaBody = (quotaId: string, retryDelay = "26s") => [
  {
    error: {
      code: 429,
      message: "You exceeded your current quota. Please retry in 25.3s.",
      status: "RESOURCE_EXHAUSTED",
      details: [
        { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaMetric: "m", quotaId }] },
        { "@type": "type.googleapis.com/google.rpc.Help", links: [] },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
      ],
    },
  },
];

describe("readGoogleError", () => {
  it("reads the compat layer's array-wrapped body and the native bare body alike", () => {
    const inner = { code: 400, message: "bad", status: "INVALID_ARGUMENT" };
    expect(readGoogleError([{ error: inner }])).toEqual(inner);
    expect(readGoogleError({ error: inner })).toEqual(inner);
    expect(readGoogleError(inner)).toEqual(inner);
    expect(readGoogleError("plain text")).toBeUndefined();
  });
});

describe("errorFromResponse", () => {
  it("makes a 429 retryable with the RetryInfo delay", () => {
    const error = errorFromResponse(
      429,
      quotaBody("EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier"),
      context,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.retryable).toBe(true);
    expect(error.retryDelayMs).toBe(26_000);
    expect(error.googleStatus).toBe("RESOURCE_EXHAUSTED");
  });

  it("treats a per-day quota as exhausted, not retryable", () => {
    const error = errorFromResponse(
      429,
      quotaBody("EmbedContentRequestsPerDayPerUserPerProjectPerModel-FreeTier"),
      context,
    );
    expect(error).toBeInstanceOf(QuotaExhaustedError);
    expect(error.retryable).toBe(false);
  });

  it("recognises an invalid key and says which variable to fix", () => {
    const body = [
      {
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }],
        },
      },
    ];
    const error = errorFromResponse(400, body, context);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/GEMINI_API_KEY/);
    expect(error.code).toBe("AUTH");
  });

  it("never puts the key into a message or excerpt", () => {
    const error = errorFromResponse(
      400,
      { error: { message: "key sk-secret-123 is malformed", status: "INVALID_ARGUMENT" } },
      context,
    );
    expect(error.message).not.toContain("sk-secret-123");
    expect(error.excerpt).not.toContain("sk-secret-123");
    expect(error.message).toContain("[redacted]");
  });

  it("marks 500/503/504 retryable and 400/404 not", () => {
    expect(errorFromResponse(503, { error: { message: "overloaded", status: "UNAVAILABLE" } }, context).retryable).toBe(
      true,
    );
    expect(
      errorFromResponse(504, { error: { message: "deadline", status: "DEADLINE_EXCEEDED" } }, context).retryable,
    ).toBe(true);
    expect(errorFromResponse(404, { error: { message: "no model", status: "NOT_FOUND" } }, context).retryable).toBe(
      false,
    );
    expect(errorFromResponse(400, { error: { message: "bad", status: "INVALID_ARGUMENT" } }, context).retryable).toBe(
      false,
    );
  });
});

describe("parseDuration", () => {
  it("parses proto Duration strings", () => {
    expect(parseDuration("26s")).toBe(26_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("soon")).toBeUndefined();
  });
});

describe("the quota a 429 names", () => {
  it("reads QuotaFailure into unit, window and limit, and keeps a daily quota's short RetryInfo from mattering", () => {
    const body = (quotaId: string, quotaValue: string, retryDelay = "18s") => ({
      error: {
        code: 429,
        message:
          `You exceeded your current quota.\n* Quota exceeded for metric: m, limit: ${quotaValue}\nPlease ` +
          `retry in 18.41s.`,
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.Help", links: [] },
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [{ quotaMetric: "m", quotaId, quotaValue }],
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
        ],
      },
    });
    const tokens = errorFromResponse(
      429,
      body("EmbedContentInputTokensPerMinutePerUserPerProjectPerModel-FreeTier", "30000"),
      context,
    );
    expect(tokens.retryable).toBe(true);
    expect(tokens.quota).toEqual({
      unit: "tokens",
      window: "minute",
      limit: 30_000,
      id: "EmbedContentInputTokensPerMinutePerUserPerProjectPerModel-FreeTier",
    });
    const daily = errorFromResponse(
      429,
      body("EmbedContentRequestsPerDayPerUserPerProjectPerModel-FreeTier", "1000"),
      context,
    );
    expect(daily).toBeInstanceOf(QuotaExhaustedError);
    expect(daily.quota).toMatchObject({ unit: "requests", window: "day", limit: 1000 });
    expect(errorFromResponse(429, body("SomethingElse", "0"), context).quota).toBeUndefined();
  });
});
