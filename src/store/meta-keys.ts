/**
 * Every key of the index's meta table, in one place. The meta table is a small key-value table
 * that travels with the index (so other processes and later runs see the same values); each
 * stage owns the shape of its values, this module owns the names, so no two stages collide.
 * A prefix key is followed by an id; `metaPrefixes` lists them for reads by prefix.
 */
export const metaKeys = {
  /** The index's layout version, embedding configuration and creation time (`IndexMeta`). */
  index: "index",
  /** Where the index's roots are now (`RootsValue`: id → path and kind); rows name a root id. */
  roots: "roots",
  /** The include/exclude rules last applied under each root (`SourceRules`), by absolute root path. */
  sources: "sources",
  /** The report of the last `index()` run (`IndexReport`, failures capped at 100). */
  lastRun: "lastRun",
  /** The report of the last run of one shard of `count` (`IndexReport`): each worker writes its own. */
  shardRun: (index: number, count: number) => `${metaPrefixes.shardRun}${count}:${index}`,
  /** One pipeline run (`RunRecord`), ordered by start time. */
  run: (startedAt: string, pipeline: string) => `${metaPrefixes.run}${startedAt}:${pipeline}`,
  /** One Batch API job (`BatchJobRecord`), by our job id. */
  batchJob: (id: string) => `${metaPrefixes.batchJob}${id}`,
  /** A caption or transcript kept by content hash, so re-indexing never pays for it twice. */
  description: (kind: string, model: string, hash: string) => `${metaPrefixes.description}${kind}:${model}:${hash}`,
  /** A context cache made for one stable answer context (`CacheRegistryEntry`), by its key. */
  answerCache: (key: string) => `${metaPrefixes.answerCache}${key}`,
  /** The service's model list and when it was fetched (`ModelListing`), refreshed daily. */
  models: "models",
  /** The smallest context a model will cache, as the service stated it (`{ minTokens }`). */
  answerCacheMinimum: (model: string) => `${metaPrefixes.answerCacheMinimum}${model}`,
  /**
   * A document whose new version is being committed in parts (`PartsMarker`), by absolute path:
   * written before its first part, deleted once its manifest row describes the new version and
   * the old rows are gone. While it exists, readers show only the manifest's version of its rows.
   */
  parts: (path: string) => `${metaPrefixes.parts}${path}`,
} as const;

/** Prefixes of the keyed families above (none is a prefix of another, so prefix reads never mix them). */
export const metaPrefixes = {
  run: "run:",
  shardRun: "shard-run:",
  batchJob: "batch-job:",
  description: "describe:",
  answerCache: "answer-cache:",
  answerCacheMinimum: "answer-cache-min:",
  parts: "parts:",
} as const;
