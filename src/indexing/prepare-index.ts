import { ConfigError, needsApiKeyError } from "../errors.js";
import type { Notice, NoticeEmbedding } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import { metaKeys } from "../store/meta-keys.js";
import { migrateLayout } from "../store/migrate-layout.js";
import type { Store } from "../store/open-store.js";
import { migratableSchemaVersion, schemaVersion } from "../store/schema.js";

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
  const notices: Notice[] = [];
  const meta = await store.readMeta();
  const fresh = { schemaVersion, embedding, createdAt: new Date().toISOString() };
  if (!meta) {
    await store.initialize(fresh, { replace: options.reset });
    return notices;
  }
  if (options.reset) {
    await store.initialize(fresh, { replace: true });
    notices.push({
      kind: "index-rebuilt",
      embedding: noticeEmbedding(embedding),
      message: `Rebuilt the index from scratch with ${describeEmbedding(embedding)}.`,
    });
    return notices;
  }
  if (meta.schemaVersion !== schemaVersion && meta.schemaVersion !== migratableSchemaVersion) {
    throw new ConfigError(
      `The index at ${store.uri} has layout version ${meta.schemaVersion}; this gemindex writes version ` +
        `${schemaVersion}. Index again with reset.`,
      { code: "LAYOUT_VERSION", data: { uri: store.uri, found: meta.schemaVersion, expected: schemaVersion } },
    );
  }
  if (meta.embedding === null && embedding !== null) {
    if (options.sharded)
      throw new ConfigError(
        `The index at ${store.uri} is lexical-only; adding ${describeEmbedding(embedding)} re-indexes every ` +
          "document: " +
          "run it once without shard, then start the shards.",
        { code: "CONFLICTING_OPTIONS", data: { options: ["shard", "embedding"], reason: "upgrading re-indexes all" } },
      );
    await store.initialize(fresh, { replace: true });
    notices.push({
      kind: "vectors-added",
      embedding: noticeEmbedding(embedding),
      message: `The index was lexical-only; re-indexing every document to add ${describeEmbedding(embedding)}.`,
    });
    return notices;
  }
  if (meta.embedding !== null && embedding === null) {
    throw needsApiKeyError(
      "index",
      `The index at ${store.uri} is built with ${describeEmbedding(meta.embedding)} and needs an API key to add ` +
        "documents. Give one, or use another index location for a lexical-only index.",
      { uri: store.uri, built: describeEmbedding(meta.embedding) },
    );
  }
  if (
    meta.embedding &&
    embedding &&
    sameEmbedding(meta.embedding, embedding) &&
    !sameQuery(meta.embedding, embedding)
  ) {
    // Same document vectors, another query form: record the pairing queries now use.
    const from = describeForm(meta.embedding.query);
    const to = describeForm(embedding.query);
    await store.writeValue(metaKeys.index, { ...meta, embedding });
    notices.push({
      kind: "pairing-updated",
      from,
      to,
      message:
        `The index recorded queries embedded ${from}; they are now embedded ${to}, like its documents (one ` +
        `pairing). No document is embedded again.`,
    });
  }
  if (meta.embedding && embedding && !sameEmbedding(meta.embedding, embedding)) {
    let built = describeEmbedding(meta.embedding);
    let requested = describeEmbedding(embedding);
    // Same model and size, another way of embedding documents (e.g. an index from before the
    // RETRIEVAL_DOCUMENT / RETRIEVAL_QUERY pairing): its vectors do not pair with today's queries.
    if (built === requested) {
      built += `, documents embedded ${describeForm(meta.embedding.document)}`;
      requested += `, documents embedded ${describeForm(embedding.document)}`;
    }
    throw new ConfigError(
      `The index at ${store.uri} is built with ${built}, not ${requested}. Index again with reset to rebuild it ` +
        "with the new model, or use the index's model and dimensions.",
      { code: "EMBEDDING_MISMATCH", data: { uri: store.uri, built, requested } },
    );
  }
  if (meta.schemaVersion === migratableSchemaVersion) {
    const migrated = await migrateLayout(store, meta);
    await store.writeValue(metaKeys.index, { ...(await store.readMeta()), schemaVersion });
    notices.push({
      kind: "layout-migrated",
      from: meta.schemaVersion,
      to: schemaVersion,
      ...migrated,
      message:
        `The index was migrated from layout ${meta.schemaVersion} to ${schemaVersion} (paths relative to their ` +
        `${migrated.roots} root${migrated.roots === 1 ? "" : "s"}); nothing was embedded again.`,
    });
  }
  return notices;
}
