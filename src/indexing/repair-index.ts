import { ConfigError } from "../errors.js";
import type { EmbeddingConfig } from "../providers/types.js";
import { arrow } from "../store/arrow.js";
import { metaKeys } from "../store/meta-keys.js";
import type { IndexTable, Store } from "../store/open-store.js";
import { schemaVersion } from "../store/schema.js";
import type { DocumentRecord, IndexMeta } from "../store/types.js";
import { type ChunkVersion, type IndexInspection, inspectIndex } from "./inspect-index.js";

/**
 * One thing a repair did, as a code with its facts:
 * - `table-recreated` {table}: a missing or unopenable table made anew (empty, or see below).
 * - `table-salvaged` {table, kept, lost}: a table with damaged files rewritten from its readable rows.
 * - `meta-restored` {embedding, assumed}: the index's settings rebuilt from the vectors' fingerprint
 *   (`assumed`: the vectors recorded none, the current configuration has their dimensions).
 * - `manifest-rebuilt` {documents}: manifest rows rebuilt from the chunks (sizes and times are
 *   re-read by the next run, without re-embedding).
 * - `duplicates-removed` {rows}, `manifest-duplicates-removed` {rows}, `orphans-removed` {rows}.
 * - `documents-marked-stale` {documents}: re-indexed by the next run (or by the repair itself),
 *   reusing the vectors still present.
 */
export interface RepairAction {
  code:
    | "table-recreated"
    | "table-salvaged"
    | "meta-restored"
    | "manifest-rebuilt"
    | "duplicates-removed"
    | "manifest-duplicates-removed"
    | "orphans-removed"
    | "documents-marked-stale";
  data: Record<string, unknown>;
}

/** What `repairIndex` did, and the documents left to re-index. */
export interface RepairReport {
  actions: RepairAction[];
  /** Documents whose chunks must be made again (marked stale in the manifest), by source root. */
  stale: DocumentRecord[];
}

/**
 * Makes a damaged index consistent with the least work, holding the write lock (the caller's):
 * tables that are gone or cannot be opened are made again (the manifest from the chunks, the
 * settings from the vectors' fingerprint), tables with damaged files are rewritten from the rows
 * that can be read, duplicate and orphaned rows are deleted, and documents whose chunks are
 * missing, extra or damaged are marked stale, so that re-indexing them (which the caller does
 * next, or the next run) costs only the vectors that are really gone.
 *
 * `embedding` is the configuration of the caller's embedder: used only when the settings must
 * be restored and the vectors did not record theirs.
 */
export async function repairIndex(store: Store, embedding: EmbeddingConfig | null): Promise<RepairReport> {
  const actions: RepairAction[] = [];
  await store.finishInterruptedRebuilds();
  let inspection = await inspectIndex(store);
  const meta = restoredMeta(inspection, embedding);
  const tables = inspection.tables;

  // Tables LanceDB cannot open hold nothing that can be read: they go, and are made anew.
  for (const table of tables)
    if (table.state === "unreadable" && table.rows === 0 && !table.unreadableRows) await store.dropTable(table.table);
  const created = await store.createMissingTables(meta.value);
  for (const table of created) actions.push({ code: "table-recreated", data: { table } });
  for (const table of tables) {
    if (table.state !== "unreadable" || table.unreadableRows === 0 || created.includes(table.table)) continue;
    const kept = await salvage(store, table.table);
    actions.push({ code: "table-salvaged", data: { table: table.table, kept, lost: table.unreadableRows } });
  }
  if (!(await store.readMeta())) await store.writeValue(metaKeys.index, meta.value);
  if (!inspection.meta)
    actions.push({ code: "meta-restored", data: { embedding: meta.value.embedding, assumed: meta.assumed } });
  if (actions.length > 0) inspection = await inspectIndex(store);

  // Documents the chunks know but the manifest lost (its table gone or damaged) get their rows back.
  const adopted = adoptableVersions(inspection);
  if (adopted.length > 0) {
    await store.updateDocuments(adopted.map(rebuiltRecord));
    actions.push({ code: "manifest-rebuilt", data: { documents: adopted.length } });
    inspection = await inspectIndex(store);
  }
  await removeExtraRows(store, inspection, actions);

  const stale = new Map<string, DocumentRecord>();
  for (const record of inspection.manifest.values()) if (record.status === "stale") stale.set(record.path, record);
  const marked = inspection.incomplete.map(({ record }) => ({ ...record, status: "stale" as const }));
  if (marked.length > 0) {
    await store.updateDocuments(marked);
    actions.push({ code: "documents-marked-stale", data: { documents: marked.length } });
    for (const record of marked) stale.set(record.path, record);
  }
  return { actions, stale: [...stale.values()] };
}

/** Deletes duplicate manifest rows, duplicate chunk copies and chunk rows of versions no document has. */
async function removeExtraRows(store: Store, inspection: IndexInspection, actions: RepairAction[]): Promise<void> {
  if (inspection.duplicateManifestRows.length > 0) {
    await store.deleteRows("documents", inspection.duplicateManifestRows);
    actions.push({ code: "manifest-duplicates-removed", data: { rows: inspection.duplicateManifestRows.length } });
  }
  if (inspection.duplicateChunkRows.length > 0) {
    await store.deleteRows("chunks", inspection.duplicateChunkRows);
    actions.push({ code: "duplicates-removed", data: { rows: inspection.duplicateChunkRows.length } });
  }
  if (inspection.orphans.length > 0) {
    await store.deleteChunkVersions(inspection.orphans);
    actions.push({
      code: "orphans-removed",
      data: { rows: inspection.orphans.reduce((sum, orphan) => sum + orphan.chunks, 0) },
    });
  }
}

/**
 * The index's settings: the meta table's, else rebuilt from the fingerprint the vector column
 * records, else (no vectors) lexical-only, else the caller's configuration when its dimensions
 * match the vectors'. Anything else cannot be known, and re-indexing from scratch is the answer.
 */
function restoredMeta(
  inspection: IndexInspection,
  embedding: EmbeddingConfig | null,
): { value: IndexMeta; assumed: boolean } {
  if (inspection.meta) return { value: inspection.meta, assumed: false };
  const createdAt = new Date().toISOString();
  const chunks = inspection.tables.find((table) => table.table === "chunks");
  const vectors = inspection.vectors;
  if (vectors?.embedding) return { value: { schemaVersion, embedding: vectors.embedding, createdAt }, assumed: false };
  if (!vectors) {
    // No vector column: a lexical index, unless the chunks are gone too (then anything goes).
    const chunksReadable =
      chunks !== undefined && chunks.state !== "missing" && chunks.rows + chunks.unreadableRows > 0;
    return {
      value: { schemaVersion, embedding: chunksReadable ? null : embedding, createdAt },
      assumed: !chunksReadable,
    };
  }
  if (embedding && embedding.dimensions === vectors.dimensions)
    return { value: { schemaVersion, embedding, createdAt }, assumed: true };
  throw new ConfigError(
    `The index's settings are lost and its vectors (${vectors.dimensions} dimensions) do not say which model made ` +
      `them: ` +
      "rebuild it with `gemindex index --reset <paths>` (or repair with the model and dimensions that made it).",
  );
}

/** Rewrites a table from the rows that can still be read (streamed); returns how many were kept. */
async function salvage(store: Store, name: IndexTable): Promise<number> {
  const schema = await store.tableSchema(name);
  if (!schema) return 0;
  let kept = 0;
  await store.rebuildTable(name, schema, async (add) => {
    await store.scan(name, {
      visit: async (batch) => {
        kept += batch.numRows;
        await add(new arrow.Table([batch]));
      },
    });
  });
  return kept;
}

/**
 * Chunk versions whose path has no manifest row at all: the chunks are whole documents whose row
 * was lost. One version per path (the one with the most chunks); the others stay orphans.
 */
function adoptableVersions(inspection: IndexInspection): ChunkVersion[] {
  const best = new Map<string, ChunkVersion>();
  for (const orphan of inspection.orphans) {
    if (inspection.manifest.has(orphan.path)) continue;
    const current = best.get(orphan.path);
    if (!current || orphan.chunks > current.chunks) best.set(orphan.path, orphan);
  }
  return [...best.values()];
}

/**
 * A manifest row rebuilt from a document's chunks. Size and time are unknown (-1), so the next
 * run reads the file again: same content, and the row is completed without embedding anything.
 */
function rebuiltRecord(version: ChunkVersion): DocumentRecord {
  return {
    path: version.path,
    source: version.source,
    kind: version.kind,
    hash: version.hash,
    size: -1,
    mtimeMs: -1,
    status: "indexed",
    chunks: version.chunks,
    indexedAt: new Date().toISOString(),
  };
}
