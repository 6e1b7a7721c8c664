import { describe, expect, it } from "vitest";
import { ProviderError, QuotaExhaustedError } from "../../src/errors.js";
import { retryDelay, withRetry } from "../../src/providers/retry.js";

const normalize = (error: unknown) => error;

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe("withRetry", () => {
  it("retries a retryable error after the server's RetryInfo delay, then returns the result", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const result = await withRetry(
      "embeddings",
      async () => {
        calls++;
        if (calls === 1) throw new ProviderError("rate limited", { status: 429, retryable: true, retryDelayMs: 2000 });
        return "ok";
      },
      { normalize, sleep, random: () => 0 },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(2);
    expect(waits).toEqual([2000]);
  });

  it("backs off exponentially with jitter when the server gives no delay, and gives up after maxAttempts", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const error = new ProviderError("unavailable", { status: 503, retryable: true });
    await expect(
      withRetry(
        "chat",
        async () => {
          calls++;
          throw error;
        },
        { normalize, sleep, random: () => 0.5, policy: { maxAttempts: 4, baseDelayMs: 100, jitter: 0.2 } },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(4);
    expect(waits).toEqual([110, 220, 440]);
  });

  it("keeps waiting out 429s past maxAttempts, until the rate-limit time budget is spent", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const result = await withRetry(
      "embeddings",
      async () => {
        if (++calls <= 10)
          throw new ProviderError("rate limited", { status: 429, retryable: true, retryDelayMs: 1000 });
        return "done";
      },
      { normalize, sleep, random: () => 0, policy: { maxAttempts: 3 } },
    );
    expect(result).toBe("done");
    expect(waits).toHaveLength(10);

    const budget = withRetry(
      "embeddings",
      async () => {
        throw new ProviderError("rate limited", { status: 429, retryable: true, retryDelayMs: 1000 });
      },
      { normalize, sleep: async () => {}, random: () => 0, policy: { maxRateLimitedMs: 5000 } },
    );
    await expect(budget).rejects.toThrow("rate limited");
  });

  it("never retries a non-retryable error (a 400)", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    await expect(
      withRetry(
        "embeddings",
        async () => {
          calls++;
          throw new ProviderError("bad request", { status: 400, retryable: false });
        },
        { normalize, sleep },
      ),
    ).rejects.toThrow("bad request");
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it("turns a requested delay above the cap into QuotaExhaustedError instead of sleeping", async () => {
    const { waits, sleep } = recorder();
    const failure = withRetry(
      "embeddings",
      async () => {
        throw new ProviderError("quota", { status: 429, retryable: true, retryDelayMs: 3_600_000 });
      },
      { normalize, sleep, policy: { maxDelayMs: 60_000 } },
    );
    await expect(failure).rejects.toBeInstanceOf(QuotaExhaustedError);
    await expect(failure).rejects.toThrow(/3600 s/);
    expect(waits).toEqual([]);
  });

  it("passes an abort through untouched and does not retry it", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    let calls = 0;
    await expect(
      withRetry(
        "chat",
        async () => {
          calls++;
          controller.abort(reason);
          throw new ProviderError("would retry", { retryable: true });
        },
        { normalize, signal: controller.signal, sleep: async () => {} },
      ),
    ).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it("tells onRetry about each wait", async () => {
    const notices: number[] = [];
    let calls = 0;
    await withRetry(
      "embeddings",
      async () => {
        if (++calls < 3) throw new ProviderError("busy", { status: 500, retryable: true, retryDelayMs: 5 });
        return 1;
      },
      { normalize, sleep: async () => {}, random: () => 0, onRetry: (notice) => notices.push(notice.attempt) },
    );
    expect(notices).toEqual([1, 2]);
  });
});

describe("retryDelay", () => {
  it("caps exponential backoff at maxDelayMs", () => {
    const error = new ProviderError("x", { retryable: true });
    expect(
      retryDelay(error, 10, { maxAttempts: 20, maxRateLimitedMs: 0, baseDelayMs: 1000, maxDelayMs: 8000, jitter: 0 }),
    ).toBe(8000);
  });
});

describe("withRetry per-call controls", () => {
  it("throws a 429 at once when retryIf vetoes it (a request too big for the quota it names)", async () => {
    const { waits, sleep } = recorder();
    const refused = new ProviderError("rate limited", {
      status: 429,
      retryable: true,
      retryDelayMs: 1000,
      quota: { unit: "tokens", window: "minute", limit: 30_000, id: "tpm" },
    });
    await expect(
      withRetry(
        "embeddings",
        async () => {
          throw refused;
        },
        { normalize, sleep, retryIf: (error) => (error.quota?.limit ?? Infinity) >= 50_000 },
      ),
    ).rejects.toBe(refused);
    expect(waits).toEqual([]);
  });

  it("ends a wait at once when the graceful stop fires, and throws its reason", async () => {
    const stop = new AbortController();
    let calls = 0;
    const started = Date.now();
    const pending = withRetry(
      "embeddings",
      async () => {
        calls++;
        throw new ProviderError("rate limited", { status: 429, retryable: true, retryDelayMs: 50_000 });
      },
      {
        normalize,
        stop: stop.signal,
        policy: { maxDelayMs: 60_000 },
        onRetry: () => stop.abort(new Error("interrupted by SIGTERM")),
      },
    );
    await expect(pending).rejects.toThrow("interrupted by SIGTERM");
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
