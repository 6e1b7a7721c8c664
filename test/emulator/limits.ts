/**
 * Per-model RPM / TPM / RPD counters on the emulator clock. A request over a limit is refused
 * with 429 RESOURCE_EXHAUSTED before it is counted (https://ai.google.dev/gemini-api/docs/rate-limits). A request that
 * could
 * never fit a per-minute limit (more tokens than the TPM, more inputs than the RPM) is refused
 * every time, however long the client waits.
 */
import type { Clock } from "./clock.js";
import { type QuotaViolation, resourceExhausted } from "./errors.js";
import { MODELS } from "./models.js";
import type { ModelLimits, QuotaTier } from "./types.js";

/**
 * Published embedding limits per usage tier. Free and tiers 1-2: https://ai.google.dev/gemini-api/docs/rate-limits
 * (2025 versions; Google staff confirmed tiers 1 and 2 on the developer forum, thread 107091). Tier 3:
 * 10,000 RPM / 10M TPM as third-party copies of the 2025 table list it; Google now shows each
 * project's numbers in AI Studio only. Embedding inputs count as requests.
 */
export const EMBEDDING_TIER_LIMITS: Record<QuotaTier, ModelLimits> = {
  free: { rpm: 100, tpm: 30_000, rpd: 1_000, tier: "free" },
  "1": { rpm: 3_000, tpm: 1_000_000, tier: "1" },
  "2": { rpm: 5_000, tpm: 5_000_000, tier: "2" },
  "3": { rpm: 10_000, tpm: 10_000_000, tier: "3" },
};

/** Free-tier numbers for gemini-embedding-001 (rl-doc, Oct 2025). */
export const FREE_TIER_EMBEDDING_LIMITS: ModelLimits = EMBEDDING_TIER_LIMITS.free;

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
});

function pacificDay(ms: number): string {
  const parts = Object.fromEntries(pacific.formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

const QUOTA_IDS: Record<QuotaKind, Record<"rpm" | "tpm" | "rpd", string>> = {
  generate: {
    rpm: "GenerateRequestsPerMinutePerProjectPerModel",
    tpm: "GenerateContentInputTokensPerModelPerMinute",
    rpd: "GenerateRequestsPerDayPerProjectPerModel",
  },
  embed: {
    rpm: "EmbedContentRequestsPerMinutePerUserPerProjectPerModel",
    tpm: "EmbedContentInputTokensPerMinutePerUserPerProjectPerModel",
    rpd: "EmbedContentRequestsPerDayPerUserPerProjectPerModel",
  },
};

function quota(
  kind: QuotaKind,
  what: "rpm" | "tpm" | "rpd",
  model: string,
  limit: number,
  tier: QuotaTier,
): QuotaViolation {
  const base = kind === "embed" ? "embed_content" : "generate_content";
  const tierName = tier === "free" ? "free_tier" : "paid_tier";
  const counted = what === "tpm" ? "input_token_count" : "requests";
  const metric = `generativelanguage.googleapis.com/${base}_${tierName}_${counted}`;
  const suffix = tier === "free" ? "FreeTier" : `PaidTier${tier}`;
  return { metric, quotaId: `${QUOTA_IDS[kind][what]}-${suffix}`, model, limit };
}

const embeddingModels = new Set(MODELS.filter((model) => model.kind === "embedding").map((model) => model.id));

export class RateLimiter {
  readonly #usage = new Map<string, Usage[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: () => { limits?: Record<string, ModelLimits>; tier?: QuotaTier },
  ) {}

  /** The limits that apply to `model`: its own entry, else the tier preset for an embedding model. */
  #limitsOf(model: string): ModelLimits | undefined {
    const { limits, tier } = this.limits();
    const own = limits?.[model] ?? limits?.[`models/${model}`];
    if (own) return own;
    return tier !== undefined && embeddingModels.has(model) ? EMBEDDING_TIER_LIMITS[tier] : undefined;
  }

  /**
   * Count one API call for `model` with `items` inputs and `tokens` input tokens, or throw 429.
   * @param items embedding inputs in the call (counted as requests unless `countEmbeddingItems` is false)
   */
  admit(kind: QuotaKind, model: string, items: number, tokens: number): void {
    const limit = this.#limitsOf(model);
    if (!limit) return;
    const tier = limit.tier ?? "free";
    const requests = kind === "embed" && (limit.countEmbeddingItems ?? true) ? items : 1;
    const now = this.clock.now();
    const today = pacificDay(now);
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
      throw resourceExhausted({ retryMs, violation: quota(kind, what, model, cap, tier) });
    };
    check("rpm", limit.rpm, requests, (usage) => usage.requests);
    check("tpm", limit.tpm, tokens, (usage) => usage.tokens);
    if (limit.rpd !== undefined) {
      const usedToday = history.filter((usage) => usage.day === today).reduce((sum, usage) => sum + usage.requests, 0);
      if (usedToday + requests > limit.rpd) {
        // The service names the daily quota but asks for a retry within the minute, as for the
        // per-minute ones (observed "Please retry in 18.41s." with quotaId …PerDay…): a client
        // that only waits out RetryInfo hammers a quota that is gone until midnight Pacific.
        throw resourceExhausted({
          retryMs: MINUTE - (now % MINUTE),
          violation: quota(kind, "rpd", model, limit.rpd, tier),
        });
      }
    }
    history.push({ at: now, requests, tokens, day: today });
  }

  reset(): void {
    this.#usage.clear();
  }
}
