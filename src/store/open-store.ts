import "./lance-env.js";
import * as lancedb from "@lancedb/lancedb";
import type { Schema } from "apache-arrow";
import { StoreError } from "../errors.js";
import type { Notice } from "../notices.js";
import { BatchTables, batchTableNames } from "./batch-tables.js";
import { metaKeys } from "./meta-keys.js";
import { chunkTable, toChunkMatch, toDocumentRecord, toDocumentRow } from "./rows.js";
import { chunkSchema, documentSchema, metaSchema, schemaVersion } from "./schema.js";
import { inPieces, sqlIn, sqlString } from "./sql.js";
import type { ChunkMatch, DocumentRecord, IndexMeta, SearchOptions, StoredChunk } from "./types.js";

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
}

const tables = { chunks: "chunks", documents: "documents", meta: "meta" } as const;

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

/**
 * The LanceDB side of an index: a `chunks` table (text, location, vector), a `documents`
 * manifest and a `meta` table. Writes follow "chunks first, manifest last", each in one LanceDB
 * commit, so a process killed at any instant leaves a readable, consistent index.
 * `close()` releases it.
 */
export class Store {
  readonly uri: string;
  readonly #db: lancedb.Connection;
  #chunks?: lancedb.Table;
  #documents?: lancedb.Table;
  #meta?: lancedb.Table;
  #ftsReady = false;
  #batchTables?: BatchTables;
  #chunkSchema?: Schema;

  private constructor(uri: string, db: lancedb.Connection) {
    this.uri = uri;
    this.#db = db;
  }

  /** Opens (without creating anything) the index at `uri`: a folder or any LanceDB URI. */
  static async open(uri: string, options: OpenStoreOptions = {}): Promise<Store> {
    try {
      const session = new lancedb.Session(
        BigInt(options.indexCacheBytes ?? 256 * 1024 ** 2),
        BigInt(options.metadataCacheBytes ?? 64 * 1024 ** 2),
      );
      const db = await lancedb.connect(uri, { readConsistencyInterval: options.readConsistencyInterval ?? 1, session });
      const store = new Store(uri, db);
      await store.#openExisting();
      return store;
    } catch (error) {
      throw new StoreError(`Cannot open the index at ${uri}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #openExisting(): Promise<void> {
    const names = new Set(await this.#db.tableNames());
    if (names.has(tables.meta)) this.#meta = await this.#db.openTable(tables.meta);
    if (names.has(tables.documents)) this.#documents = await this.#db.openTable(tables.documents);
    if (names.has(tables.chunks)) {
      this.#chunks = await this.#db.openTable(tables.chunks);
      this.#ftsReady = (await this.#chunks.listIndices()).some(
        (index) => index.columns.includes("text") && index.indexType === "FTS",
      );
    }
  }

  /**
   * Brings every table handle to the latest committed version (and picks up tables another
   * process created). A writer calls it after taking the lock, so it never builds on a stale view.
   */
  async refresh(): Promise<void> {
    this.#batchTables?.close();
    this.#batchTables = undefined;
    this.#chunkSchema = undefined;
    for (const table of [this.#chunks, this.#documents, this.#meta]) table?.close();
    this.#chunks = this.#documents = this.#meta = undefined;
    await this.#openExisting();
  }

  /** True once something was written. */
  get exists(): boolean {
    return this.#meta !== undefined;
  }

  /** True when chunks carry vectors. */
  async hasVectors(): Promise<boolean> {
    if (!this.#chunks) return false;
    this.#chunkSchema ??= await this.#chunks.schema();
    return this.#chunkSchema.fields.some((field) => field.name === "vector");
  }

  async readMeta(): Promise<IndexMeta | undefined> {
    const value = await this.readValue<IndexMeta>(metaKeys.index);
    return value;
  }

  /**
   * Creates the tables for a new index (or, with `replace`, drops everything first: a re-index
   * from scratch with another embedding configuration).
   */
  async initialize(meta: IndexMeta, options: { replace?: boolean } = {}): Promise<void> {
    if (options.replace) {
      this.#batchTables?.close();
      this.#batchTables = undefined;
      for (const name of [...Object.values(tables), ...Object.values(batchTableNames)]) {
        if ((await this.#db.tableNames()).includes(name)) await this.#db.dropTable(name);
      }
      this.#chunks = this.#documents = this.#meta = undefined;
      this.#chunkSchema = undefined;
      this.#ftsReady = false;
    }
    this.#chunks ??= await this.#db.createEmptyTable(tables.chunks, chunkSchema(meta.embedding?.dimensions), {
      existOk: true,
    });
    this.#documents ??= await this.#db.createEmptyTable(tables.documents, documentSchema, { existOk: true });
    // Meta last: an index whose meta exists has all its tables.
    this.#meta ??= await this.#db.createEmptyTable(tables.meta, metaSchema, { existOk: true });
    await this.writeValue(metaKeys.index, meta);
  }

  async readValue<T>(key: string): Promise<T | undefined> {
    if (!this.#meta) return undefined;
    const rows = await this.#meta
      .query()
      .where(`key = ${sqlString(key)}`)
      .limit(1)
      .toArray();
    return rows[0] ? (JSON.parse(String(rows[0].value)) as T) : undefined;
  }

  /** Every value whose key starts with `prefix`. */
  async readValues<T>(prefix: string): Promise<Array<{ key: string; value: T }>> {
    if (!this.#meta) return [];
    const rows = await this.#meta
      .query()
      .where(`starts_with(key, ${sqlString(prefix)})`)
      .toArray();
    return rows.map((row) => ({ key: String(row.key), value: JSON.parse(String(row.value)) as T }));
  }

  async deleteValue(key: string): Promise<void> {
    await this.#meta?.delete(`key = ${sqlString(key)}`);
  }

  /** The tables holding documents that wait for Batch API jobs (created on first use). */
  async batchTables(): Promise<BatchTables> {
    if (this.#batchTables) return this.#batchTables;
    const meta = await this.readMeta();
    if (!meta?.embedding) throw new StoreError("Batch jobs need an index with embeddings.");
    this.#batchTables = await BatchTables.open(this.#db, meta.embedding.dimensions);
    return this.#batchTables;
  }

  async writeValue(key: string, value: unknown): Promise<void> {
    const meta = this.#require(this.#meta);
    await meta
      .mergeInsert("key")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute([{ key, value: JSON.stringify(value) }]);
  }

  /** Every manifest row, streamed in batches (never the whole table as one array of Arrow objects). */
  async *documents(where?: string): AsyncGenerator<DocumentRecord> {
    if (!this.#documents) return;
    const query = this.#documents.query();
    if (where) query.where(where);
    for await (const batch of query) {
      for (const row of batch.toArray()) yield toDocumentRecord(row);
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
    if (entries.length === 0) return;
    const fresh = entries
      .filter((entry) => entry.fresh)
      .flatMap((entry) => entry.chunks.map((chunk) => ({ chunk, documentHash: entry.record.hash })));
    if (fresh.length > 0) await this.#addChunks(fresh);
    const replaced = entries.filter((entry) => !entry.fresh);
    if (replaced.length > 0)
      await this.replaceChunks(
        replaced.map((entry) => ({ path: entry.record.path, hash: entry.record.hash, chunks: entry.chunks })),
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
  async replaceChunks(documents: Array<{ path: string; hash: string; chunks: StoredChunk[] }>): Promise<void> {
    const chunks = this.#require(this.#chunks);
    for (const piece of inPieces(documents, 100)) {
      const version = (equal: boolean) =>
        piece
          .map(
            (document) =>
              `(path = ${sqlString(document.path)} AND doc_hash ${equal ? "=" : "<>"} ${sqlString(document.hash)})`,
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

  async #addChunks(rows: Array<{ chunk: StoredChunk; documentHash: string }>): Promise<void> {
    const table = this.#require(this.#chunks);
    this.#chunkSchema ??= await table.schema();
    await table.add(chunkTable(rows, this.#chunkSchema));
  }

  /** Rewrites manifest rows without touching chunks (a new mtime for unchanged content). */
  async updateDocuments(records: DocumentRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#require(this.#documents)
      .mergeInsert("path")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute(records.map(toDocumentRow));
  }

  /** Deletes documents: chunks first, then manifest rows. */
  async removeDocuments(paths: string[]): Promise<void> {
    for (const piece of inPieces(paths, 500)) {
      await this.#require(this.#chunks).delete(sqlIn("path", piece));
      await this.#require(this.#documents).delete(sqlIn("path", piece));
    }
  }

  /**
   * The path and text hash of every chunk (streamed): which documents have chunks, and which
   * texts already have vectors, known without a query per document.
   */
  async *chunkKeys(): AsyncGenerator<{ path: string; hash: string }> {
    if (!this.#chunks) return;
    for await (const batch of this.#chunks.query().select(["path", "hash"])) {
      const paths = batch.getChild("path");
      const hashes = batch.getChild("hash");
      if (!paths || !hashes) continue;
      for (let i = 0; i < batch.numRows; i++) yield { path: String(paths.get(i)), hash: String(hashes.get(i)) };
    }
  }

  /** Vectors already paid for, by chunk-text hash. */
  async vectorsByHash(hashes: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    if (!this.#chunks || hashes.length === 0 || !(await this.hasVectors())) return found;
    for (const piece of inPieces([...new Set(hashes)], 500)) {
      const rows = await this.#chunks.query().where(sqlIn("hash", piece)).select(["hash", "vector"]).toArray();
      for (const row of rows) {
        if (!found.has(row.hash)) found.set(String(row.hash), Float32Array.from(row.vector as ArrayLike<number>));
      }
    }
    return found;
  }

  /** Nearest chunks by cosine distance. */
  async vectorSearch(vector: Float32Array, options: SearchOptions & { exact?: boolean }): Promise<ChunkMatch[]> {
    if (!this.#chunks) return [];
    // Naming _distance keeps LanceDB from warning on every query that it adds the column itself.
    const query = this.#chunks
      .vectorSearch(vector)
      .distanceType("cosine")
      .select([...chunkColumns, "_distance"])
      .limit(options.k);
    if (options.exact) query.bypassVectorIndex();
    // With the ANN index: probe enough partitions and re-rank candidates with full vectors, which
    // restores the recall that quantization loses (measured in `npm run bench -- retrieval`).
    else query.nprobes(annSearch.nprobes).refineFactor(annSearch.refineFactor);
    if (options.where) query.where(options.where);
    const rows = await query.toArray();
    return rows.map((row) => ({ ...toChunkMatch(row), distance: Number(row._distance) }));
  }

  /** Best chunks by BM25 over the full-text index (rows written after the index was built included). */
  async textSearch(text: string, options: SearchOptions): Promise<ChunkMatch[]> {
    if (!this.#chunks || !text.trim()) return [];
    await this.ensureTextIndex();
    const query = this.#chunks
      .query()
      .fullTextSearch(new lancedb.MatchQuery(text, "text"))
      .select([...chunkColumns, "_score"])
      .limit(options.k);
    if (options.where) query.where(options.where);
    const rows = await query.toArray();
    return rows.map((row) => ({ ...toChunkMatch(row), bm25: Number(row._score) }));
  }

  /** Builds the full-text index once; later rows are searched unindexed until `maintain()` folds them in. */
  async ensureTextIndex(): Promise<void> {
    if (this.#ftsReady || !this.#chunks) return;
    await this.#buildTextIndex();
  }

  /** Rebuilds the full-text index over every chunk (see optimizeIndex). */
  async rebuildTextIndex(): Promise<void> {
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
    const notices: Notice[] = [];
    if (!this.#chunks) return notices;
    if (!this.#ftsReady) await this.#buildTextIndex();
    else {
      const stats = await this.#chunks.indexStats("text_idx");
      if (stats && stats.numUnindexedRows > Math.max(5_000, stats.numIndexedRows * 0.1)) await this.#buildTextIndex();
    }
    await this.#maintainVectorIndex(options.annThreshold ?? defaultAnnThreshold);
    await this.#maintainScalarIndexes();
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
    if (!this.#chunks || !(await this.hasVectors())) return undefined;
    const stats = await this.#chunks.indexStats("vector_idx").catch(() => null);
    return stats
      ? { indexed: stats.numIndexedRows, unindexed: stats.numUnindexedRows, type: stats.indexType }
      : undefined;
  }

  /** Facts about the full-text index, or undefined when there is none. */
  async textIndexStats(): Promise<{ indexed: number; unindexed: number } | undefined> {
    if (!this.#chunks) return undefined;
    const stats = await this.#chunks.indexStats("text_idx").catch(() => null);
    return stats ? { indexed: stats.numIndexedRows, unindexed: stats.numUnindexedRows } : undefined;
  }

  /** Fragment counts of the chunks table (many small fragments slow scans; `optimize` merges them). */
  async fragmentStats(): Promise<{ fragments: number; small: number; versions: number }> {
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
  async #maintainVectorIndex(threshold: number): Promise<void> {
    if (!this.#chunks || !(await this.hasVectors())) return;
    const stats = await this.vectorIndexStats();
    const rows = stats ? stats.indexed + stats.unindexed : await this.#chunks.countRows();
    if (rows < threshold) return;
    if (stats && stats.unindexed <= stats.indexed * 0.2) return;
    await this.buildVectorIndex();
  }

  /**
   * B-tree indexes on `hash` (vector reuse looks chunks up by text hash) and `path` (replacing a
   * document's chunks deletes by path) once the table is big enough for scans to hurt; rebuilt
   * when a fifth of the rows are outside them (those are scanned meanwhile).
   */
  async #maintainScalarIndexes(minRows = 10_000): Promise<void> {
    const chunks = this.#chunks;
    if (!chunks || (await chunks.countRows()) < minRows) return;
    for (const column of ["hash", "path"]) {
      const stats = await chunks.indexStats(`${column}_idx`).catch(() => null);
      if (stats && stats.numUnindexedRows <= stats.numIndexedRows * 0.2) continue;
      await chunks.createIndex(column, { config: lancedb.Index.btree(), replace: true });
    }
  }

  /** (Re)builds the ANN index: IVF with residual quantization (see `annSearch` for how it is queried). */
  async buildVectorIndex(): Promise<void> {
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
    for (const table of [this.#chunks, this.#documents, this.#meta]) {
      if (!table) continue;
      const skipped = await this.#optimizeTable(table);
      if (skipped) return skipped;
    }
    return undefined;
  }

  async #optimizeTable(table: lancedb.Table): Promise<Notice | undefined> {
    try {
      await table.optimize();
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (!/commit conflict|preempted/i.test(message)) throw error;
      return {
        kind: "compaction-skipped",
        table: table.name,
        message: `Compaction of ${table.name} was skipped (another process compacted it at the same time); it will run next time.`,
      };
    }
  }

  async countChunks(where?: string): Promise<number> {
    return this.#chunks ? this.#chunks.countRows(where) : 0;
  }

  async countDocuments(where?: string): Promise<number> {
    return this.#documents ? this.#documents.countRows(where) : 0;
  }

  /** The chunks of one document in order (for pinning whole documents, and tests). */
  async chunksOf(path: string): Promise<ChunkMatch[]> {
    if (!this.#chunks) return [];
    const rows = await this.#chunks
      .query()
      .where(`path = ${sqlString(path)}`)
      .select(chunkColumns)
      .toArray();
    return rows.map(toChunkMatch).sort((a, b) => a.ordinal - b.ordinal);
  }

  close(): void {
    this.#batchTables?.close();
    for (const table of [this.#chunks, this.#documents, this.#meta]) table?.close();
    this.#db.close();
  }

  #require<T>(table: T | undefined): T {
    if (!table)
      throw new StoreError(`The index at ${this.uri} has not been created yet: index some files first.`, {
        data: { uri: this.uri },
      });
    return table;
  }
}

export { schemaVersion };
