import { ConfigError, needsApiKeyError } from "../errors.js";
import type { Notice, NoticeEmbedding } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import { metaKeys } from "../store/meta-keys.js";
import { migrateLayout } from "../store/migrate-layout.js";
import type { Store } from "../store/open-store.js";
import { migratableSchemaVersion, schemaVersion } from "../store/schema.js";
import type { IndexMeta } from "../store/types.js";

/** Two configurations give interchangeable vectors when these match (the query form may differ). */
export function sameEmbedding(a: EmbeddingConfig, b: EmbeddingConfig): boolean {
  return (
    a.provider === b.provider &&
    a.model === b.model &&
    a.dimensions === b.dimensions &&
    a.document.kind === b.document.kind &&
    a.document.value === b.document.value
  );
}

function sameQuery(a: EmbeddingConfig, b: EmbeddingConfig): boolean {
  return a.query.kind === b.query.kind && a.query.value === b.query.value;
}

/** An embedding configuration as notices state it. */
export function noticeEmbedding(config: EmbeddingConfig | null): NoticeEmbedding {
  return config ? { model: config.model, dimensions: config.dimensions } : null;
}

/** How documents are embedded: "as RETRIEVAL_DOCUMENT", "with the prefix …", "as plain text". */
export function describeForm(form: EmbeddingConfig["document"]): string {
  if (form.kind === "task-type") return `as ${form.value}`;
  if (form.kind === "prefix") return `with the prefix ${JSON.stringify(form.value)}`;
  return "as plain text";
}

/** "model (N dimensions)", or "no embeddings (lexical only)". */
export function describeEmbedding(config: EmbeddingConfig | NoticeEmbedding): string {
  return config ? `${config.model} (${config.dimensions} dimensions)` : "no embeddings (lexical only)";
}

/**
 * Makes sure the index is built with `embedding` (null: lexical only), creating it when new.
 * One index has one embedding configuration: another model or size is an error unless `reset`
 * rebuilds it; a lexical-only index is upgraded to vectors when a key becomes available.
 * Returns notices for the run report. Throws EMBEDDING_MISMATCH, LAYOUT_VERSION or NEEDS_API_KEY
 * (an embedded index, no key) before anything is written.
 */
export async function prepareIndex(
  store: Store,
  embedding: EmbeddingConfig | null,
  options: { reset?: boolean; sharded?: boolean } = {},
): Promise<Notice[]> {
  const meta = await store.readMeta();
  const fresh = { schemaVersion, embedding, createdAt: new Date().toISOString() };
  if (!meta) {
    await store.initialize(fresh, { replace: options.reset });
    return [];
  }
  if (options.reset) {
    await store.initialize(fresh, { replace: true });
    return [
      {
        kind: "index-rebuilt",
        embedding: noticeEmbedding(embedding),
        message: `Rebuilt the index from scratch with ${describeEmbedding(embedding)}.`,
      },
    ];
  }
  checkLayoutVersion(store.uri, meta.schemaVersion);
  if (meta.embedding === null && embedding !== null)
    return [await addVectors(store, { ...fresh, embedding }, options.sharded)];
  if (meta.embedding !== null && embedding === null) {
    throw needsApiKeyError(
      "index",
      `The index at ${store.uri} is built with ${describeEmbedding(meta.embedding)} and needs an API key to add ` +
        "documents. Give one, or use another index location for a lexical-only index.",
      { uri: store.uri, built: describeEmbedding(meta.embedding) },
    );
  }
  const notices: Notice[] = [];
  if (meta.embedding && embedding) {
    if (!sameEmbedding(meta.embedding, embedding)) throw embeddingMismatch(store.uri, meta.embedding, embedding);
    if (!sameQuery(meta.embedding, embedding))
      notices.push(await recordQueryForm(store, meta, meta.embedding, embedding));
  }
  if (meta.schemaVersion === migratableSchemaVersion) notices.push(await migrateOldLayout(store, meta));
  return notices;
}

/** Refuses an index whose layout this gemindex neither writes nor migrates. */
function checkLayoutVersion(uri: string, found: number): void {
  if (found === schemaVersion || found === migratableSchemaVersion) return;
  throw new ConfigError(
    `The index at ${uri} has layout version ${found}; this gemindex writes version ${schemaVersion}. Index again ` +
      "with reset.",
    { code: "LAYOUT_VERSION", data: { uri, found, expected: schemaVersion } },
  );
}

/** A lexical-only index given an embedding: rebuilt with it, so every document is indexed again. */
async function addVectors(
  store: Store,
  fresh: IndexMeta & { embedding: EmbeddingConfig },
  sharded = false,
): Promise<Notice> {
  const { embedding } = fresh;
  if (sharded)
    throw new ConfigError(
      `The index at ${store.uri} is lexical-only; adding ${describeEmbedding(embedding)} re-indexes every ` +
        "document: run it once without shard, then start the shards.",
      { code: "CONFLICTING_OPTIONS", data: { options: ["shard", "embedding"], reason: "upgrading re-indexes all" } },
    );
  await store.initialize(fresh, { replace: true });
  return {
    kind: "vectors-added",
    embedding: noticeEmbedding(embedding),
    message: `The index was lexical-only; re-indexing every document to add ${describeEmbedding(embedding)}.`,
  };
}

/** EMBEDDING_MISMATCH: the index's vectors were made another way than this run would make them. */
function embeddingMismatch(uri: string, index: EmbeddingConfig, run: EmbeddingConfig): ConfigError {
  let built = describeEmbedding(index);
  let requested = describeEmbedding(run);
  // Same model and size, another way of embedding documents (e.g. an index from before the
  // RETRIEVAL_DOCUMENT / RETRIEVAL_QUERY pairing): its vectors do not pair with today's queries.
  if (built === requested) {
    built += `, documents embedded ${describeForm(index.document)}`;
    requested += `, documents embedded ${describeForm(run.document)}`;
  }
  return new ConfigError(
    `The index at ${uri} is built with ${built}, not ${requested}. Index again with reset to rebuild it ` +
      "with the new model, or use the index's model and dimensions.",
    { code: "EMBEDDING_MISMATCH", data: { uri, built, requested } },
  );
}

/** Same document vectors, another query form: records the pairing queries now use. */
async function recordQueryForm(
  store: Store,
  meta: IndexMeta,
  recorded: EmbeddingConfig,
  embedding: EmbeddingConfig,
): Promise<Notice> {
  const from = describeForm(recorded.query);
  const to = describeForm(embedding.query);
  await store.writeValue(metaKeys.index, { ...meta, embedding });
  return {
    kind: "pairing-updated",
    from,
    to,
    message:
      `The index recorded queries embedded ${from}; they are now embedded ${to}, like its documents (one ` +
      `pairing). No document is embedded again.`,
  };
}

/** Migrates an index of the previous layout in place; nothing is embedded again. */
async function migrateOldLayout(store: Store, meta: IndexMeta): Promise<Notice> {
  const migrated = await migrateLayout(store, meta);
  await store.writeValue(metaKeys.index, { ...(await store.readMeta()), schemaVersion });
  return {
    kind: "layout-migrated",
    from: meta.schemaVersion,
    to: schemaVersion,
    ...migrated,
    message:
      `The index was migrated from layout ${meta.schemaVersion} to ${schemaVersion} (paths relative to their ` +
      `${migrated.roots} root${migrated.roots === 1 ? "" : "s"}); nothing was embedded again.`,
  };
}
