import { ConfigError } from "../errors.js";
import type { EmbeddingConfig } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import { schemaVersion } from "../store/schema.js";

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

export function describeEmbedding(config: EmbeddingConfig | null): string {
  return config ? `${config.model} (${config.dimensions} dimensions)` : "no embeddings (lexical only)";
}

/**
 * Makes sure the index is built with `embedding` (null: lexical only), creating it when new.
 * One index has one embedding configuration: another model or size is an error unless `reset`
 * rebuilds it; a lexical-only index is upgraded to vectors when a key becomes available.
 * Returns notices for the run report.
 */
export async function prepareIndex(
  store: Store,
  embedding: EmbeddingConfig | null,
  options: { reset?: boolean } = {},
): Promise<string[]> {
  const notices: string[] = [];
  const meta = await store.readMeta();
  const fresh = { schemaVersion, embedding, createdAt: new Date().toISOString() };
  if (!meta) {
    await store.initialize(fresh, { replace: options.reset });
    return notices;
  }
  if (options.reset) {
    await store.initialize(fresh, { replace: true });
    notices.push(`Rebuilt the index from scratch with ${describeEmbedding(embedding)}.`);
    return notices;
  }
  if (meta.schemaVersion !== schemaVersion) {
    throw new ConfigError(
      `The index at ${store.uri} has layout version ${meta.schemaVersion}; this gemindex writes version ${schemaVersion}. Re-index with --reset.`,
    );
  }
  if (meta.embedding === null && embedding !== null) {
    await store.initialize(fresh, { replace: true });
    notices.push(`The index was lexical-only; re-indexing every document to add ${describeEmbedding(embedding)}.`);
    return notices;
  }
  if (meta.embedding !== null && embedding === null) {
    throw new ConfigError(
      `The index at ${store.uri} is built with ${describeEmbedding(meta.embedding)} and needs GEMINI_API_KEY to add documents. ` +
        `Set the key, or use another --db for a lexical-only index.`,
    );
  }
  if (meta.embedding && embedding && !sameEmbedding(meta.embedding, embedding)) {
    throw new ConfigError(
      `The index at ${store.uri} is built with ${describeEmbedding(meta.embedding)}, not ${describeEmbedding(embedding)}. ` +
        `Run \`gemindex index --reset <paths>\` to rebuild it with the new model, or use the index's model and dimensions.`,
    );
  }
  return notices;
}
