import { distance } from "fastest-levenshtein";
import { ConfigError } from "../errors.js";
import type { ServiceModel } from "../providers/types.js";
import { metaKeys } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";

/** The service's model list as kept in the index's meta table. */
export interface ModelListing {
  /** ISO 8601 time of the request that fetched it. */
  fetchedAt: string;
  models: ServiceModel[];
}

/** A kept list older than this is fetched again: models are added and retired over weeks. */
export const MODEL_LIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface ModelCatalogOptions {
  /** Fetches the service's list (one or more requests). */
  list: (options: { signal?: AbortSignal }) => Promise<ServiceModel[]>;
  /** Where the list is kept (the meta table travels with the index). */
  store: Store;
  /** @default Date.now */
  now?: () => number;
}

export interface ListingOptions {
  /** Fetch even when the kept list is fresh. @default false */
  refresh?: boolean;
  signal?: AbortSignal;
}

/**
 * The models the key can use, kept in the index and refreshed daily, and the check of model ids
 * against them before any other request, so a typo or a retired model is a clear configuration
 * error up front instead of a 404 mid-run.
 */
export class ModelCatalog {
  readonly #options: ModelCatalogOptions;
  /** A list fetched since the last `save()`. */
  #fetched?: ModelListing;

  constructor(options: ModelCatalogOptions) {
    this.#options = options;
  }

  /** The list: the kept one while it is younger than a day, else the service's. */
  async listing(options: ListingOptions = {}): Promise<ModelListing> {
    const { store, list } = this.#options;
    const now = this.#options.now ?? Date.now;
    if (!options.refresh) {
      const kept = await store.readValue<ModelListing>(metaKeys.models).catch(() => undefined);
      if (kept && now() - Date.parse(kept.fetchedAt) < MODEL_LIST_MAX_AGE_MS) return kept;
    }
    const listing = { fetchedAt: new Date(now()).toISOString(), models: await list({ signal: options.signal }) };
    this.#fetched = listing;
    return listing;
  }

  /**
   * Keeps the list fetched last (if any) in the index, for a day. Writers only, once the index
   * exists (after a run): readers never write.
   */
  async save(): Promise<void> {
    const listing = this.#fetched;
    if (!listing) return;
    await this.#options.store.writeValue(metaKeys.models, listing);
    this.#fetched = undefined;
  }

  /**
   * Throws ConfigError (code UNKNOWN_MODEL, with the nearest ids offered for that use) for a
   * model the service does not list, or lists for another use. When no list can be had (the
   * service is unreachable, rejects the key, or lists no models) nothing is checked: the
   * operation itself then fails with its own, precise error.
   */
  async check(models: { chat?: string; embedding?: string }, options: Omit<ListingOptions, "refresh"> = {}) {
    let listing: ModelListing;
    try {
      listing = await this.listing(options);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // No list (unreachable, a rejected key, a server without one): the operation's own request
      // fails next with the precise error, where callers expect it (an index run's report).
      return;
    }
    if (listing.models.length === 0) return;
    for (const kind of ["embedding", "chat"] as const) {
      const wanted = models[kind];
      if (wanted !== undefined) checkOne(wanted.replace(/^models\//, ""), kind, listing.models);
    }
  }
}

function checkOne(model: string, kind: "embedding" | "chat", models: ServiceModel[]): void {
  const offered = models.filter((candidate) => candidate.kind === kind);
  if (offered.some((candidate) => candidate.id === model)) return;
  const other = models.find((candidate) => candidate.id === model);
  const suggestions = nearest(
    model,
    offered.map((candidate) => candidate.id),
  );
  const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.join(" or ")}?` : "";
  const why = other
    ? `${model} is not a${kind === "embedding" ? "n embedding" : " chat"} model (it is listed for ` +
      `${other.methods?.join(", ") ?? "another use"}).`
    : `The service does not offer the ${kind} model ${JSON.stringify(model)} to this key (a typo, or a retired model).`;
  throw new ConfigError(`${why}${hint}`, { code: "UNKNOWN_MODEL", data: { model, kind, suggestions } });
}

/**
 * The ids closest to `model` by edit distance (up to three, within one edit of the closest),
 * when close enough to be a typo of it.
 */
export function nearest(model: string, ids: string[]): string[] {
  const limit = Math.max(2, Math.floor(model.length / 3));
  const ranked = ids
    .map((id) => ({ id, cost: distance(model, id) }))
    .filter((candidate) => candidate.cost <= limit)
    .sort((a, b) => a.cost - b.cost || a.id.localeCompare(b.id));
  const best = ranked[0]?.cost ?? 0;
  return ranked
    .filter((candidate) => candidate.cost <= best + 1)
    .slice(0, 3)
    .map((candidate) => candidate.id);
}
