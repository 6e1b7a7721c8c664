/**
 * Per-model RPM / TPM / RPD counters on the emulator clock. A request over a limit is refused
 * with 429 RESOURCE_EXHAUSTED before it is counted (GEMINI.md §6.3, §6.5).
 */
import type { Clock } from "./clock.js";
import { type QuotaViolation, resourceExhausted } from "./errors.js";
import type { ModelLimits } from "./types.js";

/** Free-tier numbers for gemini-embedding-001 (rl-doc, Oct 2025). */
export const FREE_TIER_EMBEDDING_LIMITS: ModelLimits = { rpm: 100, tpm: 30_000, rpd: 1_000 };

/** "generate" for chat, "embed" for every embedding endpoint. */
export type QuotaKind = "generate" | "embed";

interface Usage {
  at: number;
  requests: number;
  tokens: number;
  day: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const pacific = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Los_Angeles",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function pacificParts(ms: number): { day: string; msIntoDay: number } {
  const parts = Object.fromEntries(pacific.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  const msIntoDay = ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 + (ms % 1000);
  return { day: `${parts.year}-${parts.month}-${parts.day}`, msIntoDay };
}

const QUOTA_IDS: Record<QuotaKind, Record<"rpm" | "tpm" | "rpd", string>> = {
  generate: {
    rpm: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
    tpm: "GenerateContentInputTokensPerModelPerMinute-FreeTier",
    rpd: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
  },
  embed: {
    rpm: "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier",
    tpm: "EmbedContentInputTokensPerMinutePerUserPerProjectPerModel-FreeTier",
    rpd: "EmbedContentRequestsPerDayPerUserPerProjectPerModel-FreeTier",
  },
};

function quota(kind: QuotaKind, what: "rpm" | "tpm" | "rpd", model: string, limit: number): QuotaViolation {
  const base = kind === "embed" ? "embed_content" : "generate_content";
  const metric = `generativelanguage.googleapis.com/${base}_free_tier_${what === "tpm" ? "input_token_count" : "requests"}`;
  return { metric, quotaId: QUOTA_IDS[kind][what], model, limit };
}

export class RateLimiter {
  readonly #usage = new Map<string, Usage[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: () => Record<string, ModelLimits> | undefined,
  ) {}

  /**
   * Count one API call for `model` with `items` inputs and `tokens` input tokens, or throw 429.
   * @param items embedding inputs in the call (counted as requests when `countEmbeddingItems`)
   */
  admit(kind: QuotaKind, model: string, items: number, tokens: number): void {
    const limit = this.limits()?.[model] ?? this.limits()?.[`models/${model}`];
    if (!limit) return;
    const requests = kind === "embed" && limit.countEmbeddingItems ? items : 1;
    const now = this.clock.now();
    const today = pacificParts(now);
    const history = (this.#usage.get(model) ?? []).filter((usage) => usage.at > now - DAY);
    this.#usage.set(model, history);
    const lastMinute = history.filter((usage) => usage.at > now - MINUTE);

    const check = (what: "rpm" | "tpm", cap: number | undefined, amount: number, pick: (usage: Usage) => number) => {
      if (cap === undefined) return;
      const used = lastMinute.reduce((sum, usage) => sum + pick(usage), 0);
      if (used + amount <= cap) return;
      // Wait until enough of the window has slid out for this call to fit (a full minute if it never fits).
      let freed = 0;
      let retryMs = MINUTE;
      for (const usage of lastMinute) {
        freed += pick(usage);
        if (used - freed + amount <= cap) {
          retryMs = usage.at + MINUTE - now;
          break;
        }
      }
      throw resourceExhausted({ retryMs, violation: quota(kind, what, model, cap) });
    };
    check("rpm", limit.rpm, requests, (usage) => usage.requests);
    check("tpm", limit.tpm, tokens, (usage) => usage.tokens);
    if (limit.rpd !== undefined) {
      const usedToday = history
        .filter((usage) => usage.day === today.day)
        .reduce((sum, usage) => sum + usage.requests, 0);
      if (usedToday + requests > limit.rpd) {
        throw resourceExhausted({ retryMs: DAY - today.msIntoDay, violation: quota(kind, "rpd", model, limit.rpd) });
      }
    }
    history.push({ at: now, requests, tokens, day: today.day });
  }

  reset(): void {
    this.#usage.clear();
  }
}
