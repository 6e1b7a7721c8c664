import type { QuotaViolation } from "../errors.js";
import type { EmbedderLimits } from "../providers/types.js";
import type { QuotaLimits } from "./quota-tiers.js";
import { type PacerWait, RequestPacer } from "./request-pacer.js";

/**
 * Share of a per-minute quota one request may take: an eighth, so several requests share a window
 * (smooth pacing), a request never waits for the whole minute to drain, and the window fills
 * close to the quota: it fills in steps of one request, so up to one request's worth is lost per
 * window (a quarter measured 0.85 of the quota-bound rate on the free tier, an eighth ~0.9+).
 */
const REQUEST_SHARE_OF_QUOTA = 0.125;

/** The largest request the plan allows now. */
export interface RequestCaps {
  /** Inputs per request. */
  inputs: number;
  /** Billed tokens per request (by the caller's estimate). */
  tokens: number;
}

export interface QuotaPlanOptions {
  /** The limits known before the run (flags, a tier preset); more are learned from 429s. */
  limits?: QuotaLimits;
  /** Told before each pacing wait. */
  onWait?: (wait: PacerWait) => void;
  /** Clock and sleep of the pacer, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Sizes and paces embedding requests to fit the quota: no request holds more than an eighth of a
 * per-minute quota (inputs where the service counts each input as a request, tokens), and
 * request starts are spaced by a {@link RequestPacer}. Quotas the service names in a 429
 * (`QuotaFailure.quotaValue`) are learned and kept for the run, so a key of any tier works with
 * no flags: the first refusal teaches the plan the limit.
 */
export class QuotaPlan {
  readonly pacer: RequestPacer;
  readonly #embedder: EmbedderLimits;
  #limits: QuotaLimits;
  readonly #learned: QuotaLimits = {};

  constructor(embedder: EmbedderLimits, options: QuotaPlanOptions = {}) {
    this.#embedder = embedder;
    this.#limits = { ...options.limits };
    this.pacer = new RequestPacer({
      rpm: this.#limits.rpm,
      tpm: this.#limits.tpm,
      now: options.now,
      sleep: options.sleep,
      onWait: options.onWait,
    });
  }

  /** The per-minute limits in force (given, or learned when lower). */
  get limits(): Readonly<QuotaLimits> {
    return this.#limits;
  }

  /** Limits learned from the service during this run. */
  get learned(): Readonly<QuotaLimits> {
    return this.#learned;
  }

  /** Requests a request of `inputs` inputs counts as against the requests-per-minute quota. */
  requestsOf(inputs: number): number {
    return this.#embedder.inputsCountAsRequests ? inputs : 1;
  }

  /** The largest request allowed now (at least one input). */
  caps(): RequestCaps {
    const { rpm, tpm } = this.#limits;
    let inputs = this.#embedder.maxInputsPerRequest;
    if (rpm !== undefined && this.#embedder.inputsCountAsRequests)
      inputs = Math.min(inputs, Math.floor(rpm * REQUEST_SHARE_OF_QUOTA));
    let tokens = this.#embedder.maxRequestTokens;
    if (tpm !== undefined) tokens = Math.min(tokens, Math.floor(tpm * REQUEST_SHARE_OF_QUOTA));
    return { inputs: Math.max(1, inputs), tokens: Math.max(1, tokens) };
  }

  /**
   * The most requests of the largest allowed size one minute's quota admits (at least one), or
   * undefined when no quota is known: more requests in flight than that could never all be
   * admitted, so concurrency stays below it.
   */
  requestsPerWindow(): number | undefined {
    const { rpm, tpm } = this.#limits;
    if (rpm === undefined && tpm === undefined) return undefined;
    const caps = this.caps();
    let requests = Number.POSITIVE_INFINITY;
    if (rpm !== undefined) requests = Math.min(requests, Math.floor(rpm / this.requestsOf(caps.inputs)));
    if (tpm !== undefined) requests = Math.min(requests, Math.floor(tpm / caps.tokens));
    return Math.max(1, requests);
  }

  /**
   * Waits until a request of `inputs` inputs and `tokens` billed tokens may start; resolves with
   * the milliseconds the quota held it back.
   */
  acquire(inputs: number, tokens: number, signal?: AbortSignal): Promise<number> {
    return this.pacer.acquire({ requests: this.requestsOf(inputs), tokens }, signal);
  }

  /**
   * Takes in a per-minute quota the service named in a 429. Returns true when it tightened the
   * plan (a lower limit than the one in force, or one where there was none).
   */
  learn(quota: QuotaViolation | undefined): boolean {
    if (quota?.window !== "minute" || quota.limit === undefined) return false;
    const key = quota.unit === "tokens" ? "tpm" : "rpm";
    // A requests quota counts calls when the service does not count inputs; pacing by calls
    // then is what `rpm` means too.
    const current = this.#limits[key];
    if (current !== undefined && current <= quota.limit) return false;
    this.#limits = { ...this.#limits, [key]: quota.limit };
    this.#learned[key] = quota.limit;
    this.pacer.setLimits({ rpm: this.#limits.rpm, tpm: this.#limits.tpm });
    return true;
  }
}
