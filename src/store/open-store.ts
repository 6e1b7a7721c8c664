import { rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import type { Table as ArrowTable, Schema } from "apache-arrow";
import { ConfigError, IndexDamagedError, StoreError } from "../errors.js";
import type { Notice } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import { arrow } from "./arrow.js";
import { BatchTables, batchTableNames } from "./batch-tables.js";
import { type ConnectOptions, connectIndex, firstLine, storeFailure } from "./connect.js";
import { metaKeys, metaPrefixes } from "./meta-keys.js";
import { type RootEntry, Roots, type RootsValue } from "./roots.js";
import { chunkTable, type Place, rowTable, toChunkMatch, toDocumentRecord, toDocumentRow } from "./rows.js";
import { queryTerms, scanLimit, scanScore } from "./scan-search.js";
import { type ScanTableOptions, scanTable, type TableScan } from "./scan-table.js";
import { chunkSchema, documentSchema, embeddingMetadataKey, metaSchema, schemaVersion } from "./schema.js";
import { inPieces, sqlIn, sqlString } from "./sql.js";
import type { ChunkMatch, DocumentRecord, IndexMeta, PartsMarker, SearchOptions, StoredChunk } from "./types.js";
import { isRemoteUri } from "./uri.js";

export interface OpenStoreOptions {
  /**
   * Seconds between checks for other processes' writes; 0 checks on every read.
   * Without it, an open handle never sees another writer's commits.
   * @default 1
   */
  readConsistencyInterval?: number;
  /**
   * Memory for index data LanceDB keeps between queries (LanceDB's default is 6 GB; 256 MB holds
   * the ANN and full-text indexes of about a million chunks here).
   * @default 268435456
   */
  indexCacheBytes?: number;
  /** Memory for file metadata LanceDB keeps (its default is 1 GB). @default 67108864 */
  metadataCacheBytes?: number;
  /** LanceDB storage options (credentials, endpoint, region) for an index on object storage. */
  storageOptions?: Record<string, string>;
}

const tables = { chunks: "chunks", documents: "documents", meta: "meta" } as const;

/** Chunk rows converted to Arrow and appended in one step. */
const ADD_CHUNK_ROWS = 4000;
/** The index's own tables: chunks, the documents manifest, the meta key/value table. */
export type IndexTable = (typeof tables)[keyof typeof tables];

/** Fragments of the meta table above which it is compacted (see Store.tidyMeta). */
const metaFragmentLimit = 8;
/** Versions of the meta table younger than this are kept (a reader may be reading one). */
const metaVersionRetentionMs = 60_000;

/** Suffixes of a table being rebuilt (incomplete) and rebuilt (complete, waiting to replace the old one). */
const buildingSuffix = "_rebuilding";
const builtSuffix = "_rebuilt";

/**
 * Puts a rebuilt table in place of the old one (local folders): the old folder goes, the rebuilt
 * one is renamed. Also finishes a swap a crash interrupted, and drops an unfinished rebuild.
 */
async function finishSwap(uri: string, name: string): Promise<void> {
  const built = path.join(uri, `${name}${builtSuffix}.lance`);
  const exists = await stat(built).then(
    () => true,
    () => false,
  );
  if (exists) {
    await rm(path.join(uri, `${name}.lance`), { recursive: true, force: true });
    await rename(built, path.join(uri, `${name}.lance`));
  }
  await rm(path.join(uri, `${name}${buildingSuffix}.lance`), { recursive: true, force: true });
}

/** Rows above which runs build an ANN index (exact search takes ~50 ms per 10k × 768 here). */
export const defaultAnnThreshold = 20_000;

/**
 * How the ANN index is queried: partitions probed, and candidates re-ranked with full vectors per
 * hit. Measured at 100k × 768 here: recall@10 against exact search is set by the refine factor
 * (RQ's quantization error), not the probes — 0.90 at 5, 0.96 at 10, 0.99 at 20 — for ~8 ms.
 */
export const annSearch = { nprobes: 40, refineFactor: 20 };
const chunkColumns = [
  "id",
  "path",
  "source",
  "kind",
  "ordinal",
  "text",
  "headings",
  "page",
  "line_start",
  "line_end",
  "location",
  "tokens",
  "hash",
];

/** A table of the index that exists but cannot be used, and why (see `Store.damage`). */
export interface TableDamage {
  table: string;
  /** "missing": gone while other tables exist; "unreadable": present but LanceDB cannot open or read it. */
  problem: "missing" | "unreadable";
  reason: string;
}

/**
 * The LanceDB side of an index: a `chunks` table (text, location, vector), a `documents`
 * manifest and a `meta` table. Writes follow "chunks first, manifest last", each in one LanceDB
 * commit, so a process killed at any instant leaves a readable, consistent index.
 *
 * Opening never writes: a missing folder is an index that does not exist yet (a writer creates
 * it), and a table LanceDB cannot open is recorded in `damage` instead of failing the open, so
 * `doctor` can report it and `index --reset` can start over. `close()` releases it; any use
 * after that throws a StoreError.
 */
export class Store {
  readonly uri: string;
  readonly #connect: ConnectOptions;
  #db?: lancedb.Connection;
  #chunks?: lancedb.Table;
  #documents?: lancedb.Table;
  #meta?: lancedb.Table;
  #damage: TableDamage[] = [];
  #ftsReady = false;
  /** When a reader last looked for a full-text index another process may have built (ms). */
  #ftsCheckedAt = 0;
  #batchTables?: BatchTables;
  #chunkSchema?: Schema;
  #documentSchema?: Schema;
  #closed = false;
  /** The roots rows of layout 4 are stored under (see Roots). */
  #roots = new Roots();
  /** Which tables store a root id and relative paths (layout 4) rather than absolute paths. */
  #rooted = { chunks: false, documents: false };
  readonly #resolve = (root: string | null | undefined, path: string) => this.#roots.resolve(root, path);

  private constructor(uri: string, connect: ConnectOptions) {
    this.uri = uri;
    this.#connect = connect;
  }

  /** Opens (without creating or changing anything) the index at `uri`: a folder or any LanceDB URI. */
  static async open(uri: string, options: OpenStoreOptions = {}): Promise<Store> {
    const session = new lancedb.Session(
      BigInt(options.indexCacheBytes ?? 256 * 1024 ** 2),
      BigInt(options.metadataCacheBytes ?? 64 * 1024 ** 2),
    );
    const store = new Store(uri, {
      readConsistencyInterval: options.readConsistencyInterval ?? 1,
      session,
      storageOptions: options.storageOptions,
    });
    store.#db = await connectIndex(uri, store.#connect, false);
    await store.#openExisting();
    return store;
  }

  async #openExisting(): Promise<void> {
    this.#damage = [];
    if (!this.#db) return;
    let names: Set<string>;
    try {
      names = new Set(await this.#db.tableNames());
    } catch (error) {
      throw storeFailure(error, this.uri, "open");
    }
    const open = async (name: string): Promise<lancedb.Table | undefined> => {
      if (!names.has(name)) return undefined;
      try {
        return await this.#db!.openTable(name);
      } catch (error) {
        const failure = storeFailure(error, this.uri, "open");
        if (failure instanceof ConfigError) throw failure;
        this.#damage.push({ table: name, problem: "unreadable", reason: firstLine((error as Error).message) });
        return undefined;
      }
    };
    this.#meta = await open(tables.meta);
    this.#documents = await open(tables.documents);
    this.#chunks = await open(tables.chunks);
    if (this.#damage.length > 0 || this.#meta || this.#documents || this.#chunks) {
      for (const name of Object.values(tables))
        if (!names.has(name)) this.#damage.push({ table: name, problem: "missing", reason: "its folder is gone" });
    }
    await this.#readLayout();
    if (this.#chunks) {
      try {
        this.#ftsReady = (await this.#chunks.listIndices()).some(
          (index) => index.columns.includes("text") && index.indexType === "FTS",
        );
      } catch (error) {
        this.#damage.push({ table: tables.chunks, problem: "unreadable", reason: firstLine((error as Error).message) });
      }
    }
  }

  /** Which tables are of layout 4, and the roots registry (from the meta table). */
  async #readLayout(): Promise<void> {
    const rooted = async (table?: lancedb.Table) =>
      table
        ? (await table.schema().catch(() => undefined))?.fields.some((field) => field.name === "root") === true
        : true;
    this.#rooted = { chunks: await rooted(this.#chunks), documents: await rooted(this.#documents) };
    this.#roots = new Roots((await this.readValue<RootsValue>(metaKeys.roots).catch(() => undefined)) ?? {});
  }

  /**
   * Brings every table handle to the latest committed version (and picks up tables another
   * process created). A writer calls it after taking the lock, so it never builds on a stale view.
   */
  async refresh(): Promise<void> {
    this.#assertOpen();
    this.#closeTables();
    this.#db ??= await connectIndex(this.uri, this.#connect, false);
    await this.#openExisting();
  }

  #closeTables(): void {
    this.#batchTables?.close();
    this.#batchTables = undefined;
    this.#chunkSchema = undefined;
    this.#documentSchema = undefined;
    for (const table of [this.#chunks, this.#documents, this.#meta]) table?.close();
    this.#chunks = this.#documents = this.#meta = undefined;
    this.#ftsReady = false;
  }

  /** True once something was written (even when some of it is damaged now). */
  get exists(): boolean {
    this.#assertOpen();
    return this.#meta !== undefined || this.#damage.length > 0;
  }

  /** Tables that are missing or cannot be opened (empty for a healthy or a not-yet-created index). */
  get damage(): readonly TableDamage[] {
    this.#assertOpen();
    return this.#damage;
  }

  /** True when chunks carry vectors. */
  async hasVectors(): Promise<boolean> {
    this.#assertOpen();
    if (!this.#chunks) return false;
    this.#chunkSchema ??= await this.#chunks.schema();
    return this.#chunkSchema.fields.some((field) => field.name === "vector");
  }

  /** True when the chunks table has its full-text (BM25) index. */
  get hasTextIndex(): boolean {
    this.#assertOpen();
    return this.#ftsReady;
  }

  async readMeta(): Promise<IndexMeta | undefined> {
    this.#assertOpen();
    const value = await this.readValue<IndexMeta>(metaKeys.index);
    return value;
  }

  /**
   * Creates the tables for a new index (or, with `replace`, removes everything first: a re-index
   * from scratch with another embedding configuration, or a fresh start after damage). Tables of
   * a damaged index are removed even when LanceDB cannot open them.
   */
  async initialize(meta: IndexMeta, options: { replace?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    try {
      if (options.replace) await this.#removeOwnedTables();
      this.#db ??= await connectIndex(this.uri, this.#connect, true);
      const db = this.#db!;
      this.#chunks ??= await db.createEmptyTable(tables.chunks, chunkSchema(meta.embedding), {
        existOk: true,
      });
      this.#documents ??= await db.createEmptyTable(tables.documents, documentSchema, { existOk: true });
      // Meta last: an index whose meta exists has all its tables.
      this.#meta ??= await db.createEmptyTable(tables.meta, metaSchema, { existOk: true });
      this.#damage = [];
      await this.#readLayout();
      await this.writeValue(metaKeys.index, meta);
    } catch (error) {
      throw storeFailure(error, this.uri, "create");
    }
  }

  /**
   * Removes every table gemindex made. A local index's table folders are deleted directly (LanceDB
   * cannot drop a table it cannot open); other files in the folder (the write lock, anything of
   * the user's) stay.
   */
  async #removeOwnedTables(): Promise<void> {
    this.#closeTables();
    const names = [...Object.values(tables), ...Object.values(batchTableNames)];
    if (!isRemoteUri(this.uri)) {
      for (const name of [...names.map((table) => `${table}.lance`), "__manifest"])
        await rm(path.join(this.uri, name), { recursive: true, force: true });
      this.#db?.close();
      this.#db = undefined;
    } else if (this.#db) {
      const present = await this.#db.tableNames();
      for (const name of names) if (present.includes(name)) await this.#db.dropTable(name);
    }
    this.#damage = [];
  }

  async readValue<T>(key: string): Promise<T | undefined> {
    this.#assertOpen();
    if (!this.#meta) return undefined;
    const rows = await this.#read(
      "meta",
      this.#meta
        .query()
        .where(`key = ${sqlString(key)}`)
        .limit(1)
        .toArray(),
    );
    return rows[0] ? (JSON.parse(String(rows[0].value)) as T) : undefined;
  }

  /** Every value whose key starts with `prefix`. */
  async readValues<T>(prefix: string): Promise<Array<{ key: string; value: T }>> {
    this.#assertOpen();
    if (!this.#meta) return [];
    const rows = await this.#read(
      "meta",
      this.#meta
        .query()
        .where(`starts_with(key, ${sqlString(prefix)})`)
        .toArray(),
    );
    return rows.map((row) => ({ key: String(row.key), value: JSON.parse(String(row.value)) as T }));
  }

  /** The keys that start with `prefix` (values not read). */
  async readKeys(prefix: string): Promise<string[]> {
    this.#assertOpen();
    if (!this.#meta) return [];
    const rows = await this.#read(
      "meta",
      this.#meta
        .query()
        .where(`starts_with(key, ${sqlString(prefix)})`)
        .select(["key"])
        .toArray(),
    );
    return rows.map((row) => String(row.key));
  }

  /** Deletes several keys in one commit. */
  async deleteValues(keys: string[]): Promise<void> {
    this.#assertOpen();
    for (const piece of inPieces(keys, 500)) await this.#meta?.delete(sqlIn("key", piece));
  }

  /**
   * Keeps the meta table small: every write adds a fragment and a version, so once it holds more
   * than a few fragments they are merged and versions older than a minute (no reader still uses
   * them) are deleted. Cheap when there is nothing to do (one stats call). Returns notices (a
   * compaction another process did at the same time).
   */
  async tidyMeta(): Promise<Notice[]> {
    this.#assertOpen();
    const meta = this.#meta;
    if (!meta) return [];
    const { fragmentStats } = await meta.stats();
    if (fragmentStats.numFragments <= metaFragmentLimit) return [];
    const skipped = await this.#optimizeTable(meta, {
      cleanupOlderThan: new Date(Date.now() - metaVersionRetentionMs),
    });
    return skipped ? [skipped] : [];
  }

  async deleteValue(key: string): Promise<void> {
    this.#assertOpen();
    await this.#meta?.delete(`key = ${sqlString(key)}`);
  }

  /**
   * Reads every row of one of the index's tables, around damaged fragments (see scanTable).
   * Undefined when the table does not exist or cannot be opened (see `damage`).
   */
  async scan(name: IndexTable, options: ScanTableOptions): Promise<TableScan | undefined> {
    this.#assertOpen();
    const table = this.#table(name);
    return table ? scanTable(table, options) : undefined;
  }

  /**
   * The vector column: its dimensions and the embedding configuration recorded with it (indexes
   * made before it was recorded have none). Undefined for a lexical-only index.
   */
  async vectorColumn(): Promise<{ dimensions: number; embedding?: EmbeddingConfig } | undefined> {
    this.#assertOpen();
    if (!this.#chunks) return undefined;
    this.#chunkSchema ??= await this.#chunks.schema();
    const field = this.#chunkSchema.fields.find((candidate) => candidate.name === "vector");
    if (!field) return undefined;
    const recorded = field.metadata.get(embeddingMetadataKey);
    return {
      dimensions: (field.type as { listSize: number }).listSize,
      embedding: recorded ? (JSON.parse(recorded) as EmbeddingConfig) : undefined,
    };
  }

  /** Deletes particular rows of a table (duplicate copies of a chunk), by `_rowid`. */
  async deleteRows(name: IndexTable, rowIds: bigint[]): Promise<void> {
    this.#assertOpen();
    const table = this.#require(this.#table(name));
    for (const piece of inPieces(rowIds, 1000)) await table.delete(`_rowid IN (${piece.join(", ")})`);
  }

  /** Deletes the chunk rows of document versions that no manifest row describes. */
  async deleteChunkVersions(versions: Array<{ path: string; hash: string }>): Promise<void> {
    this.#assertOpen();
    const chunks = this.#require(this.#chunks);
    for (const piece of inPieces(versions, 100))
      await chunks.delete(
        piece
          .map((version) => `(${this.#pathIn("chunks", [version.path])} AND doc_hash = ${sqlString(version.hash)})`)
          .join(" OR "),
      );
  }

  /**
   * Replaces a table by the rows `fill` writes into a fresh table of the same schema (what could
   * be read of a damaged table, or rows rebuilt from another table). A local index builds the new
   * table beside the old one and swaps the folders, so a crash leaves either table whole
   * ({@link Store.open} finishes a swap it finds half done); on object storage the copy is
   * written twice (build, then copy back).
   */
  async rebuildTable(
    name: IndexTable,
    schema: Schema,
    fill: (add: (rows: ArrowTable | Array<Record<string, unknown>>) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    this.#assertOpen();
    const db = this.#require(this.#db);
    const building = `${name}${buildingSuffix}`;
    if ((await db.tableNames()).includes(building)) await db.dropTable(building);
    const target = await db.createEmptyTable(building, schema);
    try {
      // The old table stays open while `fill` reads it.
      await fill(async (rows) => {
        await target.add(rows);
      });
    } finally {
      target.close();
    }
    this.#closeTables();
    if (!isRemoteUri(this.uri)) {
      await rename(path.join(this.uri, `${building}.lance`), path.join(this.uri, `${name}${builtSuffix}.lance`));
      await finishSwap(this.uri, name);
    } else {
      if ((await db.tableNames()).includes(name)) await db.dropTable(name);
      const copy = await db.createEmptyTable(name, schema);
      const source = await db.openTable(building);
      for await (const batch of source.query()) await copy.add(new arrow.Table([batch]));
      source.close();
      copy.close();
      await db.dropTable(building);
    }
    await this.#openExisting();
  }

  /**
   * Completes a table rebuild a crash interrupted (a local index only; see `rebuildTable`). A
   * writer calls it after taking the lock; readers never change anything.
   */
  async finishInterruptedRebuilds(): Promise<void> {
    this.#assertOpen();
    if (isRemoteUri(this.uri) || !this.#db) return;
    for (const name of Object.values(tables)) await finishSwap(this.uri, name);
    await this.refresh();
  }

  /** The schema of one of the index's tables (undefined when it is absent or cannot be opened). */
  async tableSchema(name: IndexTable): Promise<Schema | undefined> {
    this.#assertOpen();
    return this.#table(name)?.schema();
  }

  /**
   * Removes one of the index's tables, even one LanceDB cannot open (a local table's folder is
   * deleted). Used by repairs, for a table whose data is gone anyway.
   */
  async dropTable(name: IndexTable): Promise<void> {
    this.#assertOpen();
    this.#closeTables();
    if (!isRemoteUri(this.uri)) await rm(path.join(this.uri, `${name}.lance`), { recursive: true, force: true });
    else if (this.#db && (await this.#db.tableNames()).includes(name)) await this.#db.dropTable(name);
    await this.#openExisting();
  }

  /** Creates tables that are missing (after damage) from the index's configuration. */
  async createMissingTables(meta: IndexMeta): Promise<string[]> {
    this.#assertOpen();
    const db = this.#require(this.#db);
    const present = new Set(await db.tableNames());
    const created: string[] = [];
    const schemas: Record<IndexTable, Schema> = {
      chunks: chunkSchema(meta.embedding),
      documents: documentSchema,
      meta: metaSchema,
    };
    for (const name of [tables.chunks, tables.documents, tables.meta] as IndexTable[]) {
      if (present.has(name)) continue;
      await db.createEmptyTable(name, schemas[name]);
      created.push(name);
    }
    if (created.length > 0) await this.refresh();
    if (created.includes(tables.meta)) await this.writeValue(metaKeys.index, meta);
    return created;
  }

  #table(name: IndexTable): lancedb.Table | undefined {
    return name === "chunks" ? this.#chunks : name === "documents" ? this.#documents : this.#meta;
  }

  /** The tables holding documents that wait for Batch API jobs (created on first use). */
  async batchTables(): Promise<BatchTables> {
    this.#assertOpen();
    if (this.#batchTables) return this.#batchTables;
    const meta = await this.readMeta();
    if (!meta?.embedding || !this.#db) throw new StoreError("Batch jobs need an index with embeddings.");
    this.#batchTables = await BatchTables.open(this.#db, meta.embedding.dimensions);
    return this.#batchTables;
  }

  async writeValue(key: string, value: unknown): Promise<void> {
    this.#assertOpen();
    const meta = this.#require(this.#meta);
    await meta
      .mergeInsert("key")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute([{ key, value: JSON.stringify(value) }]);
  }

  /**
   * Manifest rows, streamed in batches (never the whole table as one array of Arrow objects):
   * all of them, or those with a `status`, or the one of an absolute `path`.
   */
  async *documents(filter: { status?: DocumentRecord["status"]; path?: string } = {}): AsyncGenerator<DocumentRecord> {
    this.#assertOpen();
    if (!this.#documents) return;
    const clauses: string[] = [];
    if (filter.status) clauses.push(`status = ${sqlString(filter.status)}`);
    if (filter.path !== undefined) clauses.push(this.#pathIn("documents", [filter.path]));
    const query = this.#documents.query();
    if (clauses.length > 0) query.where(clauses.join(" AND "));
    try {
      for await (const batch of query) {
        for (const row of batch.toArray()) yield toDocumentRecord(row, this.#resolve);
      }
    } catch (error) {
      throw this.#readFailure("documents", error);
    }
  }

  /**
   * Replaces the chunks of each given document and then writes its manifest row: chunks first,
   * manifest last, so a crash in between leaves the old manifest row and the next run redoes the
   * document, reusing the vectors already written. Entries marked `fresh` (the caller knows no
   * chunk of that path exists) are simply appended.
   */
  async commitDocuments(
    entries: Array<{ record: DocumentRecord; chunks: StoredChunk[]; fresh?: boolean }>,
  ): Promise<void> {
    this.#assertOpen();
    if (entries.length === 0) return;
    await this.#registerRoots(entries.map((entry) => entry.record));
    const fresh = entries
      .filter((entry) => entry.fresh)
      .flatMap((entry) => entry.chunks.map((chunk) => ({ chunk, documentHash: entry.record.hash })));
    if (fresh.length > 0) await this.#addChunks(fresh);
    const replaced = entries.filter((entry) => !entry.fresh);
    if (replaced.length > 0)
      await this.replaceChunks(
        replaced.map((entry) => ({
          path: entry.record.path,
          source: entry.record.source,
          hash: entry.record.hash,
          chunks: entry.chunks,
        })),
      );
    await this.updateDocuments(entries.map((entry) => entry.record));
  }

  /**
   * Puts new versions of documents' chunks in place of the old ones, each chunk tagged with its
   * document's content hash: rows of the new version left by an interrupted attempt are dropped,
   * the new rows appended, then rows of any other version deleted. A crash between steps leaves
   * extra rows at worst, never a document without its chunks, and the next run (seeing the old
   * manifest row) repeats the steps. Append and delete instead of a merge: LanceDB's merge joins
   * against the whole table and needs a few hundred MB more at 100k chunks.
   */
  async replaceChunks(
    documents: Array<{ path: string; source: string; hash: string; chunks: StoredChunk[] }>,
  ): Promise<void> {
    this.#assertOpen();
    const chunks = this.#require(this.#chunks);
    await this.#registerRoots(documents);
    for (const piece of inPieces(documents, 100)) {
      const version = (equal: boolean) =>
        piece
          .map(
            (document) =>
              `(${this.#where("chunks", document)} AND doc_hash ${equal ? "=" : "<>"} ${sqlString(document.hash)})`,
          )
          .join(" OR ");
      await chunks.delete(version(true));
      const rows = piece.flatMap((document) =>
        document.chunks.map((chunk) => ({ chunk, documentHash: document.hash })),
      );
      if (rows.length > 0) await this.#addChunks(rows);
      await chunks.delete(version(false));
    }
  }

  /**
   * Appends chunk rows a few thousand at a time: one document of a 48 MB text file is ~20,000
   * rows, and converting them to Arrow at once cost ~300 MB. A crash between pieces leaves rows of
   * a version without its manifest row, which the next run drops (see replaceChunks).
   */
  async #addChunks(rows: Array<{ chunk: StoredChunk; documentHash: string }>): Promise<void> {
    const table = this.#require(this.#chunks);
    this.#chunkSchema ??= await table.schema();
    const place = this.#rooted.chunks ? (chunk: StoredChunk) => this.#place(chunk.path, chunk.source) : undefined;
    for (const piece of inPieces(rows, ADD_CHUNK_ROWS)) await table.add(chunkTable(piece, this.#chunkSchema, place));
  }

  /** Rewrites manifest rows without touching chunks (a new mtime for unchanged content). */
  async updateDocuments(records: DocumentRecord[]): Promise<void> {
    this.#assertOpen();
    if (records.length === 0) return;
    const rooted = this.#rooted.documents;
    if (rooted) await this.#registerRoots(records);
    const table = this.#require(this.#documents);
    this.#documentSchema ??= await table.schema();
    const rows = records.map((record) =>
      toDocumentRow(record, rooted ? this.#place(record.path, record.source) : undefined),
    );
    await table
      .mergeInsert(rooted ? ["root", "path"] : "path")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute(rowTable(rows, this.#documentSchema));
  }

  /** Deletes documents: chunks first, then manifest rows. */
  async removeDocuments(paths: string[]): Promise<void> {
    this.#assertOpen();
    for (const piece of inPieces(paths, 500)) {
      await this.#require(this.#chunks).delete(this.#pathIn("chunks", piece));
      await this.#require(this.#documents).delete(this.#pathIn("documents", piece));
    }
  }

  /**
   * Starts committing a document's new version in parts (a document too large to hold whole):
   * records the marker that makes readers show only the manifest's version of its rows, so
   * the parts appended next stay hidden until {@link Store.finishParts} flips the manifest row.
   */
  async beginParts(document: { path: string; source: string; hash: string }): Promise<void> {
    this.#assertOpen();
    await this.#registerRoots([document]);
    const marker: PartsMarker = { path: document.path, source: document.source, hash: document.hash };
    await this.writeValue(metaKeys.parts(document.path), marker);
  }

  /**
   * The ordinals and chunk hashes of rows already written for one version of a document (the
   * parts of a run that was killed), so a run that resumes it neither embeds nor writes them again.
   */
  async partRows(document: { path: string; hash: string }): Promise<Map<number, string>> {
    this.#assertOpen();
    const found = new Map<number, string>();
    if (!this.#chunks) return found;
    const where = `${this.#pathIn("chunks", [document.path])} AND doc_hash = ${sqlString(document.hash)}`;
    const rows = await this.#read("chunks", this.#chunks.query().where(where).select(["ordinal", "hash"]).toArray());
    for (const row of rows) found.set(Number(row.ordinal), String(row.hash));
    return found;
  }

  /**
   * Appends one part of a document's new version (see beginParts); rows of that version already
   * at `replace` ordinals (written by an earlier attempt with other text) are deleted first.
   */
  async appendPart(
    document: { path: string; hash: string },
    chunks: StoredChunk[],
    replace: readonly number[] = [],
  ): Promise<void> {
    this.#assertOpen();
    const table = this.#require(this.#chunks);
    const version = `${this.#pathIn("chunks", [document.path])} AND doc_hash = ${sqlString(document.hash)}`;
    for (const piece of inPieces(replace, 1000)) await table.delete(`${version} AND ordinal IN (${piece.join(", ")})`);
    if (chunks.length > 0) await this.#addChunks(chunks.map((chunk) => ({ chunk, documentHash: document.hash })));
  }

  /**
   * Ends a parts commit: rows past the new version's last ordinal go, the manifest row is written
   * (the flip: readers now show the new version), then the rows of every other version and the
   * marker. A failed document (no chunks) loses all its rows. A crash at any step leaves the
   * marker, so readers keep showing the manifest's version, and {@link Store.settleParts} ends it.
   */
  async finishParts(record: DocumentRecord): Promise<void> {
    this.#assertOpen();
    const table = this.#require(this.#chunks);
    const rows = this.#pathIn("chunks", [record.path]);
    const kept = record.status === "failed" ? undefined : sqlString(record.hash);
    if (kept) await table.delete(`${rows} AND doc_hash = ${kept} AND ordinal >= ${record.chunks}`);
    await this.updateDocuments([record]);
    await table.delete(kept ? `${rows} AND doc_hash <> ${kept}` : rows);
    await this.deleteValue(metaKeys.parts(record.path));
  }

  /**
   * Ends the parts commits left by interrupted runs for documents of `paths` (those a run that
   * completed saw or removed): only the manifest's version of their rows is kept (none without a
   * manifest row, or for a failed document), and the marker goes. Returns how many were ended.
   */
  async settleParts(paths: ReadonlySet<string>): Promise<number> {
    this.#assertOpen();
    let settled = 0;
    for (const { value: marker } of await this.readValues<PartsMarker>(metaPrefixes.parts)) {
      if (!paths.has(marker.path)) continue;
      let current: DocumentRecord | undefined;
      for await (const record of this.documents({ path: marker.path })) current = record;
      const rows = this.#pathIn("chunks", [marker.path]);
      const kept = current && current.status !== "failed" ? `${rows} AND doc_hash <> ${sqlString(current.hash)}` : rows;
      if (this.#chunks) await this.#chunks.delete(kept);
      await this.deleteValue(metaKeys.parts(marker.path));
      settled++;
    }
    return settled;
  }

  /**
   * What readers must not see while documents are committed in parts: for each marked document,
   * its rows of any version but the manifest's (all of them when it has no manifest row yet).
   * Undefined when no document is in parts (the usual case: one small meta query).
   */
  async #hiddenParts(): Promise<string | undefined> {
    // A meta table that cannot be read hides nothing: searches work as they did before parts.
    const markers = await this.readValues<PartsMarker>(metaPrefixes.parts).catch(() => []);
    if (markers.length === 0) return undefined;
    const clauses: string[] = [];
    for (const { value: marker } of markers) {
      let current: DocumentRecord | undefined;
      for await (const record of this.documents({ path: marker.path })) current = record;
      const rows = this.#pathIn("chunks", [marker.path]);
      const visible = current && current.status !== "failed" ? ` AND doc_hash <> ${sqlString(current.hash)}` : "";
      clauses.push(`NOT (${rows}${visible})`);
    }
    return clauses.join(" AND ");
  }

  /** A reader's filter: the caller's, and the rows hidden while documents are committed in parts. */
  async #readerFilter(where?: string): Promise<string | undefined> {
    const hidden = await this.#hiddenParts();
    if (!hidden) return where;
    return where ? `(${where}) AND ${hidden}` : hidden;
  }

  /**
   * The path and text hash of every chunk (streamed): which documents have chunks, and which
   * texts already have vectors, known without a query per document.
   */
  async *chunkKeys(): AsyncGenerator<{ path: string; hash: string }> {
    this.#assertOpen();
    if (!this.#chunks) return;
    try {
      const rooted = this.#rooted.chunks;
      for await (const batch of this.#chunks.query().select(rooted ? ["path", "hash", "root"] : ["path", "hash"])) {
        const paths = batch.getChild("path");
        const hashes = batch.getChild("hash");
        const roots = batch.getChild("root");
        if (!paths || !hashes) continue;
        for (let i = 0; i < batch.numRows; i++) {
          const path = String(paths.get(i));
          yield { path: roots ? this.#resolve(String(roots.get(i)), path).path : path, hash: String(hashes.get(i)) };
        }
      }
    } catch (error) {
      throw this.#readFailure("chunks", error);
    }
  }

  /** Vectors already paid for, by chunk-text hash. */
  async vectorsByHash(hashes: string[]): Promise<Map<string, Float32Array>> {
    this.#assertOpen();
    const found = new Map<string, Float32Array>();
    if (!this.#chunks || hashes.length === 0 || !(await this.hasVectors())) return found;
    for (const piece of inPieces([...new Set(hashes)], 500)) {
      const rows = await this.#read(
        "chunks",
        this.#chunks.query().where(sqlIn("hash", piece)).select(["hash", "vector"]).toArray(),
      );
      for (const row of rows) {
        if (!found.has(row.hash)) found.set(String(row.hash), Float32Array.from(row.vector as ArrayLike<number>));
      }
    }
    return found;
  }

  /** Nearest chunks by cosine distance. */
  async vectorSearch(vector: Float32Array, options: SearchOptions & { exact?: boolean }): Promise<ChunkMatch[]> {
    this.#assertOpen();
    if (!this.#chunks) return [];
    // Naming _distance keeps LanceDB from warning on every query that it adds the column itself.
    const query = this.#chunks
      .vectorSearch(vector)
      .distanceType("cosine")
      .select([...this.#chunkColumns(), "_distance"])
      .limit(options.k);
    if (options.exact) query.bypassVectorIndex();
    // With the ANN index: probe enough partitions and re-rank candidates with full vectors, which
    // restores the recall that quantization loses (measured in `npm run bench -- retrieval`).
    else query.nprobes(annSearch.nprobes).refineFactor(annSearch.refineFactor);
    const where = await this.#readerFilter(options.where);
    if (where) query.where(where);
    const rows = await this.#read("chunks", query.toArray());
    return rows.map((row) => ({ ...toChunkMatch(row, this.#resolve), distance: Number(row._distance) }));
  }

  /**
   * Best chunks by BM25 over the full-text index (rows written after the index was built
   * included). Never builds the index (a reader must not write): without it, chunks containing
   * the query's words are found by a scan and ranked by {@link scanScore}; see `hasTextIndex`.
   */
  async textSearch(text: string, options: SearchOptions): Promise<ChunkMatch[]> {
    this.#assertOpen();
    if (!this.#chunks || !text.trim()) return [];
    if (!this.#ftsReady) await this.#lookForTextIndex();
    const where = await this.#readerFilter(options.where);
    if (!this.#ftsReady) return this.#scanSearch(text, { ...options, where });
    const query = this.#chunks
      .query()
      .fullTextSearch(new lancedb.MatchQuery(text, "text"))
      .select([...this.#chunkColumns(), "_score"])
      .limit(options.k);
    if (where) query.where(where);
    const rows = await this.#read("chunks", query.toArray());
    return rows.map((row) => ({ ...toChunkMatch(row, this.#resolve), bm25: Number(row._score) }));
  }

  /**
   * A long-lived reader (an MCP server) opened before a writer built the full-text index would
   * scan forever: it looks again, at most once per read-consistency interval.
   */
  async #lookForTextIndex(): Promise<void> {
    const now = Date.now();
    if (now - this.#ftsCheckedAt < this.#connect.readConsistencyInterval * 1000) return;
    this.#ftsCheckedAt = now;
    const indices = await this.#chunks!.listIndices().catch(() => []);
    this.#ftsReady = indices.some((index) => index.columns.includes("text") && index.indexType === "FTS");
  }

  async #scanSearch(text: string, options: SearchOptions): Promise<ChunkMatch[]> {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const contains = terms.map((term) => `lower(text) LIKE ${sqlString(`%${term}%`)}`).join(" OR ");
    const query = this.#chunks!.query()
      .where(options.where ? `(${contains}) AND (${options.where})` : contains)
      .select(this.#chunkColumns())
      .limit(scanLimit);
    const matches = (await this.#read("chunks", query.toArray())).map((row) => toChunkMatch(row, this.#resolve));
    return scanScore(matches, terms)
      .slice(0, options.k)
      .map(({ match, score }) => ({ ...match, bm25: score }));
  }

  /** Rebuilds the full-text index over every chunk (see optimizeIndex). */
  async rebuildTextIndex(): Promise<void> {
    this.#assertOpen();
    if (this.#chunks && (await this.#chunks.countRows()) > 0) await this.#buildTextIndex();
  }

  async #buildTextIndex(): Promise<void> {
    await this.#chunks!.createIndex("text", {
      config: lancedb.Index.fts({
        withPosition: false,
        stem: true,
        removeStopWords: true,
        language: "English",
        asciiFolding: true,
        lowercase: true,
      }),
      replace: true,
    });
    this.#ftsReady = true;
  }

  /**
   * Keeps the index fast after a run without the memory cost of compacting it every time: the
   * full-text index is rebuilt when many rows are outside it (a rebuild is cheap: about 1.5 s and
   * no extra memory per 100k chunks here), and tables are compacted only once they hold many
   * small fragments (compaction rewrites vectors and briefly needs a few hundred MB).
   * `optimize()` does everything unconditionally. Returns notices.
   */
  async maintain(options: { maxSmallFragments?: number; annThreshold?: number } = {}): Promise<Notice[]> {
    this.#assertOpen();
    const notices: Notice[] = [];
    if (!this.#chunks) return notices;
    if (await this.#textIndexDue()) await this.#buildTextIndex();
    if (await this.#vectorIndexDue(options.annThreshold ?? defaultAnnThreshold)) await this.buildVectorIndex();
    for (const column of await this.#scalarIndexesDue())
      await this.#chunks.createIndex(column, { config: lancedb.Index.btree(), replace: true });
    const limit = options.maxSmallFragments ?? 128;
    for (const table of [this.#chunks, this.#documents, this.#meta]) {
      if (!table) continue;
      const { fragmentStats } = await table.stats();
      if (fragmentStats.numSmallFragments > (table === this.#chunks ? limit : 16)) {
        const skipped = await this.#optimizeTable(table);
        if (skipped) notices.push(skipped);
      }
    }
    return notices;
  }

  /** Facts about the vector index, or undefined when the table has none. */
  async vectorIndexStats(): Promise<{ indexed: number; unindexed: number; type: string } | undefined> {
    this.#assertOpen();
    if (!this.#chunks || !(await this.hasVectors())) return undefined;
    const stats = await this.#chunks.indexStats("vector_idx").catch(() => null);
    return stats
      ? { indexed: stats.numIndexedRows, unindexed: stats.numUnindexedRows, type: stats.indexType }
      : undefined;
  }

  /** Facts about the full-text index, or undefined when there is none. */
  async textIndexStats(): Promise<{ indexed: number; unindexed: number } | undefined> {
    this.#assertOpen();
    if (!this.#chunks) return undefined;
    const stats = await this.#chunks.indexStats("text_idx").catch(() => null);
    return stats ? { indexed: stats.numIndexedRows, unindexed: stats.numUnindexedRows } : undefined;
  }

  /** Fragment counts of the chunks table (many small fragments slow scans; `optimize` merges them). */
  async fragmentStats(): Promise<{ fragments: number; small: number; versions: number }> {
    this.#assertOpen();
    if (!this.#chunks) return { fragments: 0, small: 0, versions: 0 };
    const { fragmentStats } = await this.#chunks.stats();
    return {
      fragments: fragmentStats.numFragments,
      small: fragmentStats.numSmallFragments,
      versions: (await this.#chunks.listVersions()).length,
    };
  }

  /**
   * Builds the ANN index once the table has `threshold` vectors, and rebuilds it when more than a
   * fifth of the rows are outside it (they are searched exactly meanwhile, so results stay right;
   * a rebuild is a couple of seconds per 100k chunks, cheaper in memory than an incremental update
   * through optimize, which also compacts).
   */
  async #vectorIndexDue(threshold: number): Promise<boolean> {
    if (!this.#chunks || !(await this.hasVectors())) return false;
    const stats = await this.vectorIndexStats();
    const rows = stats ? stats.indexed + stats.unindexed : await this.#chunks.countRows();
    if (rows < threshold) return false;
    return !stats || stats.unindexed > stats.indexed * 0.2;
  }

  /** The full-text index is missing (a run ended before building it) or too many rows are outside it. */
  async #textIndexDue(): Promise<boolean> {
    if (!this.#chunks) return false;
    if (!this.#ftsReady) return (await this.#chunks.countRows()) > 0;
    const stats = await this.#chunks.indexStats("text_idx");
    return stats !== undefined && stats.numUnindexedRows > Math.max(5_000, stats.numIndexedRows * 0.1);
  }

  /**
   * True when `maintain()` has an index to build or rebuild: the full-text index, the ANN index
   * or the B-tree indexes. A run killed after its last commit leaves them unfinished; the next
   * run, even with nothing to index, asks this and finishes them.
   */
  async maintenanceDue(options: { annThreshold?: number } = {}): Promise<boolean> {
    this.#assertOpen();
    if (!this.#chunks) return false;
    return (
      (await this.#textIndexDue()) ||
      (await this.#vectorIndexDue(options.annThreshold ?? defaultAnnThreshold)) ||
      (await this.#scalarIndexesDue()).length > 0
    );
  }

  /**
   * B-tree indexes on `hash` (vector reuse looks chunks up by text hash) and `path` (replacing a
   * document's chunks deletes by path) once the table is big enough for scans to hurt; rebuilt
   * when a fifth of the rows are outside them (those are scanned meanwhile).
   */
  async #scalarIndexesDue(minRows = 10_000): Promise<string[]> {
    const chunks = this.#chunks;
    if (!chunks || (await chunks.countRows()) < minRows) return [];
    const due: string[] = [];
    for (const column of ["hash", "path"]) {
      const stats = await chunks.indexStats(`${column}_idx`).catch(() => null);
      if (!stats || stats.numUnindexedRows > stats.numIndexedRows * 0.2) due.push(column);
    }
    return due;
  }

  /** (Re)builds the ANN index: IVF with residual quantization (see `annSearch` for how it is queried). */
  async buildVectorIndex(): Promise<void> {
    this.#assertOpen();
    const chunks = this.#require(this.#chunks);
    const rows = await chunks.countRows();
    // A training sample of 32 vectors per partition (not 256) builds faster and needs ~200 MB less
    // memory at 100k chunks, with the same recall after refinement.
    await chunks.createIndex("vector", {
      config: lancedb.Index.ivfRq({
        distanceType: "cosine",
        numPartitions: Math.max(1, Math.round(Math.sqrt(rows))),
        sampleRate: 32,
      }),
      replace: true,
    });
  }

  /**
   * Compacts fragments, brings indexes up to date and prunes old versions (see optimizeIndex).
   * Housekeeping only: a commit conflict with another process's compaction is reported
   * (returned) rather than failing the run.
   */
  async optimize(): Promise<Notice | undefined> {
    this.#assertOpen();
    for (const table of [this.#chunks, this.#documents, this.#meta]) {
      if (!table) continue;
      const skipped = await this.#optimizeTable(table);
      if (skipped) return skipped;
    }
    return undefined;
  }

  async #optimizeTable(
    table: lancedb.Table,
    options: Partial<lancedb.OptimizeOptions> = {},
  ): Promise<Notice | undefined> {
    try {
      await table.optimize(options);
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (!/commit conflict|preempted/i.test(message)) throw error;
      return {
        kind: "compaction-skipped",
        table: table.name,
        message:
          `Compaction of ${table.name} was skipped (another process compacted it at the same time); it will ` +
          `run next time.`,
      };
    }
  }

  async countChunks(where?: string): Promise<number> {
    this.#assertOpen();
    return this.#chunks ? this.#chunks.countRows(where) : 0;
  }

  async countDocuments(where?: string): Promise<number> {
    this.#assertOpen();
    return this.#documents ? this.#documents.countRows(where) : 0;
  }

  /** The chunks of one document in order (for pinning whole documents, and tests). */
  async chunksOf(path: string): Promise<ChunkMatch[]> {
    this.#assertOpen();
    if (!this.#chunks) return [];
    const rows = await this.#read(
      "chunks",
      this.#chunks
        .query()
        .where((await this.#readerFilter(this.#pathIn("chunks", [path])))!)
        .select(this.#chunkColumns())
        .toArray(),
    );
    return rows.map((row) => toChunkMatch(row, this.#resolve)).sort((a, b) => a.ordinal - b.ordinal);
  }

  /** Releases the tables; the handle cannot be used afterwards (a second close does nothing). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeTables();
    this.#db?.close();
    this.#db = undefined;
  }

  /** The columns a search returns: the root id in layout 4, the source root before. */
  #chunkColumns(): string[] {
    return this.#rooted.chunks ? chunkColumns.map((column) => (column === "source" ? "root" : column)) : chunkColumns;
  }

  /** A predicate for rows of `table` whose absolute path is one of `paths`. */
  #pathIn(table: "chunks" | "documents", paths: readonly string[]): string {
    return this.#rooted[table] ? this.#roots.pathIn(paths) : sqlIn("path", paths);
  }

  /** A predicate for the rows of one document (its root known from `source`). */
  #where(table: "chunks" | "documents", document: { path: string; source: string }): string {
    if (!this.#rooted[table]) return `path = ${sqlString(document.path)}`;
    const place = this.#place(document.path, document.source);
    return `(root = ${sqlString(place.root)} AND path = ${sqlString(place.path)})`;
  }

  /** Where a document of root `source` is stored (its root must be registered; see #registerRoots). */
  #place(path: string, source: string): Place {
    const place = this.#roots.place(source, path);
    if (!place) throw new StoreError(`${path} is not under the indexed root ${source}.`);
    return place;
  }

  /**
   * Registers the roots of documents about to be written (in the meta table, before any row
   * names them, so a crash never leaves rows whose root is unknown).
   */
  async #registerRoots(records: ReadonlyArray<{ path: string; source: string }>): Promise<void> {
    if (!this.#rooted.chunks && !this.#rooted.documents) return;
    let added = false;
    for (const record of records) {
      if (this.#roots.find(record.source)) continue;
      this.#roots.register(record.source, record.path === record.source ? "file" : "folder");
      added = true;
    }
    if (added) await this.writeValue(metaKeys.roots, this.#roots.toJSON());
  }

  /** The roots documents are stored under (layout 4): ids, current paths, kinds. */
  get roots(): readonly RootEntry[] {
    this.#assertOpen();
    return this.#roots.entries;
  }

  /** The columns that say which document version a chunk row belongs to (for inspection scans). */
  chunkIdentityColumns(): string[] {
    this.#assertOpen();
    return ["id", "path", "doc_hash", "kind", this.#rooted.chunks ? "root" : "source"];
  }

  /** Turns a stored root id and relative path into an absolute path and source root. */
  resolvePath(root: string | null | undefined, path: string): { path: string; source: string } {
    return this.#resolve(root, path);
  }

  /**
   * Points a root at its new place (a moved or re-mounted folder): one meta write, and every
   * document under it is found (and cited) there.
   */
  async reroot(id: string, path: string): Promise<void> {
    this.#assertOpen();
    this.#roots.reroot(id, path);
    await this.writeValue(metaKeys.roots, this.#roots.toJSON());
  }

  /** Removes a root's documents (chunks first, then manifest rows) and forgets the root. */
  async removeRoot(id: string): Promise<void> {
    this.#assertOpen();
    if (!this.#rooted.chunks || !this.#rooted.documents) throw new StoreError("Roots need an index of layout 4.");
    await this.#require(this.#chunks).delete(`root = ${sqlString(id)}`);
    await this.#require(this.#documents).delete(`root = ${sqlString(id)}`);
    this.#roots.forget(id);
    await this.writeValue(metaKeys.roots, this.#roots.toJSON());
  }

  /**
   * SQL for search filters: a row's absolute path (for path globs) and a predicate for rows
   * under given source roots, whatever the layout.
   */
  filterColumns(): { absolutePath: string; sourceIn: (sources: readonly string[]) => string } {
    this.#assertOpen();
    return this.#rooted.chunks
      ? { absolutePath: this.#roots.absolutePathSql(), sourceIn: (sources) => this.#roots.sourceIn(sources) }
      : { absolutePath: "path", sourceIn: (sources) => sqlIn("source", sources) };
  }

  /** Awaits a read of `table`, turning LanceDB's failure into a gemindex error (damage, permissions). */
  async #read<T>(table: IndexTable, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      throw this.#readFailure(table, error);
    }
  }

  #readFailure(table: IndexTable, error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    // Data files that are cut short, corrupt or gone: the table is damaged, and doctor can repair it.
    if (
      /LanceError\(IO\)|failed to fill whole buffer|Invalid range|Not found:/i.test(message) &&
      !/permission denied/i.test(message)
    )
      return new IndexDamagedError(this.uri, [{ table, problem: "unreadable", reason: firstLine(message) }], {
        cause: error,
      });
    return storeFailure(error, this.uri, "read");
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError(`The index at ${this.uri} was closed; open it again to use it.`);
  }

  #require<T>(table: T | undefined): T {
    if (table) return table;
    if (this.#damage.length > 0) throw new IndexDamagedError(this.uri, this.#damage);
    throw new StoreError(`The index at ${this.uri} has not been created yet: index some files first.`, {
      data: { uri: this.uri },
    });
  }
}

export { schemaVersion };
