import { describe, expect, it } from "vitest";
import { countTokens } from "../../src/chunking/tokens.js";
import { combineVectors } from "../../src/embedding/combine-vectors.js";
import { inputRejection } from "../../src/embedding/input-faults.js";
import { billedTokens, inputTokenBound, splitToFit } from "../../src/embedding/input-size.js";
import { collapseLayout } from "../../src/embedding/layout-padding.js";
import { QuotaPlan } from "../../src/embedding/quota-plan.js";
import { resolveQuotaLimits } from "../../src/embedding/quota-tiers.js";
import { ConfigError, ConnectionError, ProviderError, QuotaExhaustedError } from "../../src/errors.js";
import { countEmbeddingTokens } from "../emulator/index.js";

/** A Markdown table padded the way real docs are: cells to 200 characters, separators of dashes. */
function paddedTable(rows: number): string {
  const cell = (text: string, width: number) => ` ${text.padEnd(width)} `;
  const row = (a: string, b: string) => `|${cell(a, 40)}|${cell(b, 200)}|`;
  const lines = [row("Flag", "Meaning"), `|${"-".repeat(42)}|${":".padEnd(201, "-")}:|`];
  for (let i = 0; i < rows; i++) lines.push(row(`--flag-${i}`, `what flag ${i} does, in a few words`));
  return lines.join("\n");
}

describe("collapseLayout", () => {
  it("collapses table padding and separator dashes and keeps every word", () => {
    const table = paddedTable(3);
    const sent = collapseLayout(table);
    expect(sent).toBe(
      [
        "| Flag | Meaning |",
        "|---|:---:|",
        "| --flag-0 | what flag 0 does, in a few words |",
        "| --flag-1 | what flag 1 does, in a few words |",
        "| --flag-2 | what flag 2 does, in a few words |",
      ].join("\n"),
    );
    expect(sent.length).toBeLessThan(table.length / 5);
  });

  it("turns rules and dot leaders into three marks, trailing space and extra blank lines into nothing", () => {
    expect(collapseLayout("Title\n=========\n\n\n\nIntro......page 4   \n\t\tindented")).toBe(
      "Title\n===\n\nIntro...page 4\n indented",
    );
    expect(collapseLayout("box ────────── end")).toBe("box ─── end");
  });

  it("leaves ordinary prose as it is", () => {
    const prose = "Nightly backups are kept for thirty days.\n\nRotate keys every ninety days.";
    expect(collapseLayout(prose)).toBe(prose);
  });

  it("makes a padded chunk that a BPE counts under 512 tokens fit the emulator's strict count", () => {
    const table = paddedTable(22);
    expect(countTokens(table)).toBeLessThan(512);
    expect(countEmbeddingTokens(table)).toBeGreaterThan(2048);
    const sent = collapseLayout(table);
    expect(countEmbeddingTokens(sent)).toBeLessThanOrEqual(billedTokens(sent));
    expect(inputTokenBound(sent)).toBeLessThan(2048 * 0.9);
  });
});

describe("input size", () => {
  it("bounds an input by tokens and by characters, whichever is larger", () => {
    expect(inputTokenBound("word ".repeat(100))).toBe(Math.ceil(500 / 3));
    const cjk = "東京都の天気は晴れです。".repeat(20);
    expect(inputTokenBound(cjk)).toBe(countTokens(cjk));
  });

  it("splits at paragraph, then line, then word boundaries into parts that fit, dropping nothing", () => {
    const text = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} has a few words in it.`).join("\n\n");
    const parts = splitToFit(text, 40);
    expect(parts.join("")).toBe(text);
    for (const part of parts) expect(inputTokenBound(part)).toBeLessThanOrEqual(40);
    for (const part of parts.slice(0, -1)) expect(part.endsWith("\n\n")).toBe(true);
    const unbroken = "x".repeat(1000);
    expect(splitToFit(unbroken, 50).join("")).toBe(unbroken);
  });

  it("combines part vectors into one unit vector weighted by length", () => {
    const vector = combineVectors([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [3, 1]);
    expect(Array.from(vector).map((value) => Number(value.toFixed(4)))).toEqual([0.9487, 0.3162]);
  });
});

describe("QuotaPlan", () => {
  const gemini = {
    maxInputsPerRequest: 100,
    maxInputTokens: 2048,
    maxRequestTokens: 204_800,
    inputsCountAsRequests: true,
  };

  it("presets Google's published tier limits; explicit rpm/tpm win; an unknown tier is a ConfigError", () => {
    expect(resolveQuotaLimits({ tier: "free" })).toEqual({ rpm: 100, tpm: 30_000, rpd: 1_000 });
    expect(resolveQuotaLimits({ tier: "1" })).toEqual({ rpm: 3_000, tpm: 1_000_000 });
    expect(resolveQuotaLimits({ tier: "2", tpm: 2_000_000 })).toEqual({ rpm: 5_000, tpm: 2_000_000 });
    expect(resolveQuotaLimits({ tier: "3" })).toEqual({ rpm: 10_000, tpm: 10_000_000 });
    expect(resolveQuotaLimits({})).toEqual({});
    expect(() => resolveQuotaLimits({ tier: "4" })).toThrow(ConfigError);
  });

  it("never sizes a request above an eighth of a per-minute quota, counting inputs as requests", () => {
    expect(new QuotaPlan(gemini).caps()).toEqual({ inputs: 100, tokens: 204_800 });
    expect(new QuotaPlan(gemini, { limits: resolveQuotaLimits({ tier: "free" }) }).caps()).toEqual({
      inputs: 12,
      tokens: 3_750,
    });
    const calls = new QuotaPlan({ ...gemini, inputsCountAsRequests: false }, { limits: { rpm: 10 } });
    expect(calls.caps().inputs).toBe(100);
    expect(calls.requestsOf(100)).toBe(1);
  });

  it("learns a per-minute quota from a 429, only ever tightening, and ignores daily ones", () => {
    const plan = new QuotaPlan(gemini);
    expect(plan.learn({ unit: "tokens", window: "minute", limit: 30_000, id: "tpm" })).toBe(true);
    expect(plan.learn({ unit: "requests", window: "minute", limit: 100, id: "rpm" })).toBe(true);
    expect(plan.learn({ unit: "tokens", window: "minute", limit: 1_000_000, id: "tpm" })).toBe(false);
    expect(plan.learn({ unit: "requests", window: "day", limit: 1_000, id: "rpd" })).toBe(false);
    expect(plan.learn({ unit: "tokens", window: "minute", id: "no value" })).toBe(false);
    expect(plan.learned).toEqual({ tpm: 30_000, rpm: 100 });
    expect(plan.caps()).toEqual({ inputs: 12, tokens: 3_750 });
    expect(plan.pacer.limits).toEqual({ rpm: 100, tpm: 30_000 });
  });

  it("paces inputs, not calls, against the requests quota", async () => {
    let now = 0;
    const plan = new QuotaPlan(gemini, {
      limits: { rpm: 100 },
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await plan.acquire(50, 10);
      starts.push(now);
    }
    // 50 inputs of a 100-a-minute quota reserve half a minute each (+1%); the third waits for the first to leave the
    // window.
    expect(starts).toEqual([0, 30_300, 60_600]);
  });
});

describe("inputRejection", () => {
  const failure = (status: number, message: string, googleStatus = "INVALID_ARGUMENT") =>
    new ProviderError(`Gemini embeddings request failed (${status} ${googleStatus}: ${message})`, {
      status,
      googleStatus,
    });

  it("reads a content refusal with the service's words, the input it names, and whether it was too long", () => {
    expect(
      inputRejection(failure(400, "The input token count (2095) exceeds the maximum number of tokens allowed (2048).")),
    ).toEqual({
      reason: "400 INVALID_ARGUMENT: The input token count (2095) exceeds the maximum number of tokens allowed (2048).",
      tooLong: true,
    });
    expect(inputRejection(failure(400, "* BatchEmbedContentsRequest.requests[7].content: bad"))).toMatchObject({
      index: 7,
      tooLong: false,
    });
  });

  it("leaves run-level faults to stop the run", () => {
    expect(inputRejection(failure(400, "User location is not supported.", "FAILED_PRECONDITION"))).toBeUndefined();
    expect(inputRejection(failure(400, 'Invalid JSON payload received. Unknown name "x"'))).toBeUndefined();
    expect(inputRejection(failure(404, "models/x is not found", "NOT_FOUND"))).toBeUndefined();
    expect(inputRejection(new QuotaExhaustedError("daily", { status: 429 }))).toBeUndefined();
    expect(inputRejection(new ConnectionError("unreachable"))).toBeUndefined();
    expect(inputRejection(new Error("bug"))).toBeUndefined();
  });
});
