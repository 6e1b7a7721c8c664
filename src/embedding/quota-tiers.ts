import { ConfigError } from "../errors.js";

/** A Gemini API usage tier. */
export type QuotaTier = "free" | "1" | "2" | "3";

/** Per-minute (and per-day) limits of embedding requests; for Gemini, each input is a request. */
export interface QuotaLimits {
  /** Requests (Gemini: embedding inputs) per minute. */
  rpm?: number;
  /** Input tokens per minute. */
  tpm?: number;
  /** Requests (Gemini: embedding inputs) per day. */
  rpd?: number;
}

/**
 * Google's published limits for the Gemini embedding models, per usage tier. Free and tiers 1-2:
 * https://ai.google.dev/gemini-api/docs/rate-limits (2025 versions; tiers 1 and 2 confirmed by
 * Google staff at https://discuss.ai.google.dev/t/107091). Tier 3 is 10,000 RPM and 10M TPM as
 * copies of the 2025 table list it; Google now shows each project's own numbers at
 * https://aistudio.google.com/rate-limit, which win when they differ (pass --rpm/--tpm).
 */
export const QUOTA_TIERS: Readonly<Record<QuotaTier, Readonly<QuotaLimits>>> = {
  free: { rpm: 100, tpm: 30_000, rpd: 1_000 },
  "1": { rpm: 3_000, tpm: 1_000_000 },
  "2": { rpm: 5_000, tpm: 5_000_000 },
  "3": { rpm: 10_000, tpm: 10_000_000 },
};

/**
 * The limits a run stays under: explicit `rpm`/`tpm` win over the tier's preset; none at all
 * means no pacing until the service names a quota in a 429.
 * @throws ConfigError for an unknown tier
 */
export function resolveQuotaLimits(options: { tier?: string; rpm?: number; tpm?: number }): QuotaLimits {
  let preset: Readonly<QuotaLimits> = {};
  if (options.tier !== undefined) {
    const found = QUOTA_TIERS[options.tier as QuotaTier];
    if (!found) {
      const expected = `one of ${Object.keys(QUOTA_TIERS).join(", ")}`;
      throw new ConfigError(`tier must be ${expected}, got "${options.tier}".`, {
        code: "INVALID_OPTION",
        data: { option: "tier", expected, got: options.tier },
      });
    }
    preset = found;
  }
  return {
    ...preset,
    ...(options.rpm === undefined ? {} : { rpm: options.rpm }),
    ...(options.tpm === undefined ? {} : { tpm: options.tpm }),
  };
}
