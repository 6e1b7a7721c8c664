import type { RecordBatch } from "apache-arrow";
import type { EmbeddingConfig } from "../providers/types.js";
import { metaPrefixes } from "../store/meta-keys.js";
import type { IndexTable, Store } from "../store/open-store.js";
import { type Resolve, toDocumentRecord } from "../store/rows.js";
import type { DocumentRecord, IndexMeta, PartsMarker } from "../store/types.js";
import { sameEmbedding } from "./prepare-index.js";

/** How one table of the index fared when every row of it was read. */
export interface TableCheck {
  table: IndexTable;
  state: "ok" | "missing" | "unreadable";
  /** Rows read. */
  rows: number;
  /** Rows the table declares but that could not be read (damaged data files). */
  unreadableRows: number;
  /** LanceDB's reason, for unreadable tables and rows. */
  reason?: string;
}

/** A version of a document found among the chunks: path, content hash, and what its rows say. */
export interface ChunkVersion {
  path: string;
  hash: string;
  source: string;
  kind: string;
  /** Distinct chunk ids. */
  chunks: number;
}

/** What reading the whole index found (see {@link inspectIndex}). */
export interface IndexInspection {
  tables: TableCheck[];
  meta?: IndexMeta;
  /** Readable manifest rows, by path. */
  manifest: Map<string, DocumentRecord>;
  /** Extra manifest rows for a path already in `manifest` (two writers), by `_rowid`. */
  duplicateManifestRows: bigint[];
  chunkRows: number;
  /** Indexed documents whose chunks in the index are not the ones the manifest describes. */
  incomplete: Array<{ record: DocumentRecord; found: number; reason: "missing" | "extra" | "vectors" }>;
  /** Extra copies of chunks (same id, same document version), by `_rowid`. */
  duplicateChunkRows: bigint[];
  /** Documents that have duplicated chunks. */
  duplicatedDocuments: number;
  /** Chunk rows of document versions no manifest row describes. */
  orphans: ChunkVersion[];
  /** The vector column and the configuration recorded with it; undefined for lexical chunks. */
  vectors?: { dimensions: number; embedding?: EmbeddingConfig };
  /** True when the chunks' embedding fingerprint differs from the index's configuration. */
  embeddingMismatch: boolean;
}

/**
 * Opens every table of the index and reads every row of it (so every data file is read whole),
 * then compares each document's manifest row with its chunk rows: the count, the version (content
 * hash) and the vectors, and the chunks' embedding fingerprint with the index's configuration.
 * Reads only; never fails on damage, which it reports instead.
 */
export async function inspectIndex(store: Store): Promise<IndexInspection> {
  const inspection: IndexInspection = {
    tables: [],
    manifest: new Map(),
    duplicateManifestRows: [],
    chunkRows: 0,
    incomplete: [],
    duplicateChunkRows: [],
    duplicatedDocuments: 0,
    orphans: [],
    embeddingMismatch: false,
  };
  const damage = new Map(store.damage.map((entry) => [entry.table, entry]));
  const check = async (table: IndexTable, visit: (batch: RecordBatch) => void) => {
    const damaged = damage.get(table);
    if (damaged) {
      inspection.tables.push({ table, state: damaged.problem, rows: 0, unreadableRows: 0, reason: damaged.reason });
      return;
    }
    try {
      const scan = await store.scan(table, { withRowId: true, visit });
      if (!scan) return;
      const unreadableRows = scan.unreadable.reduce((sum, range) => sum + range.rows, 0);
      inspection.tables.push({
        table,
        state: unreadableRows > 0 ? "unreadable" : "ok",
        rows: scan.read,
        unreadableRows,
        reason: scan.unreadable[0]?.reason,
      });
    } catch (error) {
      inspection.tables.push({ table, state: "unreadable", rows: 0, unreadableRows: 0, reason: String(error) });
    }
  };

  await check("meta", () => {});
  inspection.meta = await store.readMeta().catch(() => undefined);
  const resolve: Resolve = (root, path) => store.resolvePath(root, path);
  await check("documents", (batch) => readManifest(batch, inspection, resolve));
  const versions: Versions = new Map();
  await check("chunks", (batch) => readChunks(batch, versions, inspection, resolve));
  if (!damage.has("chunks")) {
    inspection.vectors = await store.vectorColumn().catch(() => undefined);
    inspection.embeddingMismatch = embeddingDiffers(inspection.meta, inspection.vectors);
  }

  compareWithManifest(inspection, versions, await partsInFlux(store));
  return inspection;
}

/**
 * Documents being committed in parts (a run stopped or was killed during them): not orphans,
 * the next run ends them.
 */
async function partsInFlux(store: Store): Promise<Set<string>> {
  const markers = await store.readValues<PartsMarker>(metaPrefixes.parts).catch(() => []);
  return new Set(markers.map((marker) => marker.value.path));
}

type Versions = Map<string, ChunkVersion & { ids: Set<string>; badVectors: boolean; duplicated: boolean }>;

/** Sorts documents into complete and incomplete, and chunk versions no document has into orphans. */
function compareWithManifest(
  inspection: Pick<IndexInspection, "manifest" | "incomplete" | "orphans">,
  versions: Versions,
  inFlux: ReadonlySet<string>,
): void {
  const described = new Set<string>();
  for (const record of inspection.manifest.values()) {
    if (record.status === "failed") continue;
    const key = versionKey(record.path, record.hash);
    described.add(key);
    // A stale document is re-indexed by the next run whatever its chunks are.
    if (record.status === "stale") continue;
    const version = versions.get(key);
    const found = version?.chunks ?? 0;
    if (found < record.chunks) inspection.incomplete.push({ record, found, reason: "missing" });
    else if (found > record.chunks) inspection.incomplete.push({ record, found, reason: "extra" });
    else if (version?.badVectors) inspection.incomplete.push({ record, found, reason: "vectors" });
  }
  for (const [key, version] of versions) {
    // Rows of a document committed in parts are hidden from readers until the next run ends it.
    if (!described.has(key) && !inFlux.has(version.path)) {
      const { path, hash, source, kind, chunks } = version;
      inspection.orphans.push({ path, hash, source, kind, chunks });
    }
  }
}

/** What an index run's check of the chunks against the manifest found (see {@link reconcileChunks}). */
export interface ChunkReconciliation {
  incomplete: IndexInspection["incomplete"];
  duplicateChunkRows: bigint[];
  duplicatedDocuments: number;
  orphans: ChunkVersion[];
  /** Rows the chunks table declares but that could not be read. */
  unreadableRows: number;
  unreadableReason?: string;
}

/**
 * The cheap part of {@link inspectIndex} an index run needs when the chunk count disagrees with
 * the manifest: only ids, paths and versions are read (no text, no vectors), to find duplicate
 * copies and documents whose chunks are missing.
 */
export async function reconcileChunks(
  store: Store,
  manifest: Map<string, DocumentRecord>,
  owns?: (documentPath: string) => boolean,
): Promise<ChunkReconciliation> {
  const result: ChunkReconciliation & Pick<IndexInspection, "manifest" | "chunkRows"> = {
    manifest,
    chunkRows: 0,
    incomplete: [],
    duplicateChunkRows: [],
    duplicatedDocuments: 0,
    orphans: [],
    unreadableRows: 0,
  };
  const versions: Versions = new Map();
  const scan = await store.scan("chunks", {
    columns: store.chunkIdentityColumns(),
    withRowId: true,
    visit: (batch) => readChunks(batch, versions, result, (root, path) => store.resolvePath(root, path), owns),
  });
  result.unreadableRows = scan?.unreadable.reduce((sum, range) => sum + range.rows, 0) ?? 0;
  result.unreadableReason = scan?.unreadable[0]?.reason;
  compareWithManifest(result, versions, await partsInFlux(store));
  const { manifest: _manifest, chunkRows: _rows, ...reconciliation } = result;
  return reconciliation;
}

function versionKey(path: string, hash: string): string {
  return `${path}\u0000${hash}`;
}

function readManifest(batch: RecordBatch, inspection: IndexInspection, resolve: Resolve): void {
  const rowIds = batch.getChild("_rowid");
  batch.toArray().forEach((row, i) => {
    const record = toDocumentRecord(row as Record<string, unknown>, resolve);
    const earlier = inspection.manifest.get(record.path);
    if (earlier) {
      // Keep the newest row; the other goes when repaired.
      inspection.duplicateManifestRows.push(BigInt(rowIds?.get(i) ?? 0));
      if (earlier.indexedAt >= record.indexedAt) return;
    }
    inspection.manifest.set(record.path, record);
  });
}

/** `owns`: only the chunks of these documents count (a sharded run; other shards write meanwhile). */
function readChunks(
  batch: RecordBatch,
  versions: Versions,
  inspection: Pick<IndexInspection, "chunkRows" | "duplicateChunkRows" | "duplicatedDocuments">,
  resolve: Resolve,
  owns?: (documentPath: string) => boolean,
): void {
  const column = (name: string) => batch.getChild(name);
  const [ids, paths, hashes, sources, roots, kinds, rowIds, vectors] = [
    "id",
    "path",
    "doc_hash",
    "source",
    "root",
    "kind",
    "_rowid",
    "vector",
  ].map(column);
  // LanceDB pads a short vector with nulls; a null item means a damaged vector.
  const paddedItems = vectors ? vectors.data.reduce((sum, data) => sum + (data.children[0]?.nullCount ?? 0), 0) : 0;
  for (let i = 0; i < batch.numRows; i++) {
    // Layout 4 rows name a root and a relative path; older ones hold the absolute path and source.
    const located = roots
      ? resolve(String(roots.get(i)), String(paths?.get(i)))
      : { path: String(paths?.get(i)), source: String(sources?.get(i)) };
    const path = located.path;
    if (owns && !owns(path)) continue;
    inspection.chunkRows++;
    const hash = String(hashes?.get(i));
    const key = versionKey(path, hash);
    let version = versions.get(key);
    if (!version) {
      version = {
        path,
        hash,
        source: located.source,
        kind: String(kinds?.get(i)),
        chunks: 0,
        ids: new Set(),
        badVectors: false,
        duplicated: false,
      };
      versions.set(key, version);
    }
    const id = String(ids?.get(i));
    if (version.ids.has(id)) {
      if (!version.duplicated) inspection.duplicatedDocuments++;
      version.duplicated = true;
      inspection.duplicateChunkRows.push(BigInt(rowIds?.get(i) ?? 0));
    } else {
      version.ids.add(id);
      version.chunks++;
    }
    if (paddedItems > 0 && vectors && !vectorComplete(vectors.get(i))) version.badVectors = true;
  }
}

function vectorComplete(vector: unknown): boolean {
  if (!vector) return false;
  for (const value of vector as Iterable<number | null>) if (value === null || !Number.isFinite(value)) return false;
  return true;
}

/**
 * The chunks' vectors must come from the index's embedding configuration: same dimensions, and
 * (where the vector column records it) the same model and document form. A lexical-only index
 * has no vector column.
 */
function embeddingDiffers(
  meta: IndexMeta | undefined,
  vectors: { dimensions: number; embedding?: EmbeddingConfig } | undefined,
): boolean {
  if (!meta) return false;
  if (!meta.embedding) return vectors !== undefined;
  if (!vectors) return true;
  if (vectors.dimensions !== meta.embedding.dimensions) return true;
  return vectors.embedding !== undefined && !sameEmbedding(vectors.embedding, meta.embedding);
}
