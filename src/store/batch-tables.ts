import type * as lancedb from "@lancedb/lancedb";
import { toChunkMatch, toChunkRow } from "./rows.js";
import { batchChunkSchema, batchDocumentSchema, batchResultSchema } from "./schema.js";
import { inPieces, sqlIn, sqlString } from "./sql.js";
import type { DocumentRecord, StoredChunk } from "./types.js";

export const batchTableNames = {
  chunks: "batch_chunks",
  documents: "batch_documents",
  results: "batch_results",
} as const;

/** A document waiting for a batch job: its manifest row, and whether it is new or changed. */
export interface BatchDocument {
  record: DocumentRecord;
  change: "new" | "changed";
}

/** A chunk waiting for a batch job; `customId` is set when the job embeds it (else it has a vector). */
export interface BatchChunk extends StoredChunk {
  customId?: string;
  title?: string;
}

/**
 * The tables that hold documents while a Batch API job embeds them: their chunks (with the
 * vectors that were reused), their manifest rows, and the job's downloaded results. A document
 * moves to the real tables only when all its vectors are known, so queries never see it half done.
 */
export class BatchTables {
  readonly #chunks: lancedb.Table;
  readonly #documents: lancedb.Table;
  readonly #results: lancedb.Table;

  private constructor(chunks: lancedb.Table, documents: lancedb.Table, results: lancedb.Table) {
    this.#chunks = chunks;
    this.#documents = documents;
    this.#results = results;
  }

  static async open(db: lancedb.Connection, dimensions: number): Promise<BatchTables> {
    const open = async (name: string, schema: Parameters<lancedb.Connection["createEmptyTable"]>[1]) =>
      (await db.tableNames()).includes(name)
        ? db.openTable(name)
        : db.createEmptyTable(name, schema, { existOk: true });
    return new BatchTables(
      await open(batchTableNames.chunks, batchChunkSchema(dimensions)),
      await open(batchTableNames.documents, batchDocumentSchema),
      await open(batchTableNames.results, batchResultSchema(dimensions)),
    );
  }

  /** Parks documents for `job`: chunks first, then the manifest rows (the same order as the real tables). */
  async add(job: string, entries: Array<{ document: BatchDocument; chunks: BatchChunk[] }>): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.flatMap(({ document, chunks }) =>
      chunks.map((chunk) => ({
        ...toChunkRow(chunk, document.record.hash),
        vector: chunk.vector ?? null,
        job,
        custom_id: chunk.customId ?? null,
        title: chunk.title ?? null,
      })),
    );
    if (rows.length > 0) await this.#chunks.add(rows);
    await this.#documents.add(
      entries.map(({ document }) => ({ job, path: document.record.path, record: JSON.stringify(document) })),
    );
  }

  /** Paths waiting in `jobs`, with the content hash each was parked with. */
  async waiting(jobs: string[]): Promise<Map<string, { job: string; hash: string }>> {
    const waiting = new Map<string, { job: string; hash: string }>();
    if (jobs.length === 0) return waiting;
    for await (const batch of this.#documents.query().where(sqlIn("job", jobs))) {
      for (const row of batch.toArray()) {
        const document = JSON.parse(String(row.record)) as BatchDocument;
        waiting.set(String(row.path), { job: String(row.job), hash: document.record.hash });
      }
    }
    return waiting;
  }

  /** The documents of a job, streamed. */
  async *documents(job: string): AsyncGenerator<BatchDocument> {
    for await (const batch of this.#documents.query().where(`job = ${sqlString(job)}`)) {
      for (const row of batch.toArray()) yield JSON.parse(String(row.record)) as BatchDocument;
    }
  }

  /** The inputs of a job (chunks it embeds), streamed in custom-id order of insertion. */
  async *inputs(job: string): AsyncGenerator<{ customId: string; text: string; title?: string; tokens: number }> {
    const query = this.#chunks
      .query()
      .where(`job = ${sqlString(job)} AND custom_id IS NOT NULL`)
      .select(["custom_id", "text", "title", "tokens"]);
    for await (const batch of query) {
      for (const row of batch.toArray()) {
        yield {
          customId: String(row.custom_id),
          text: String(row.text),
          title: row.title === null ? undefined : String(row.title),
          tokens: Number(row.tokens),
        };
      }
    }
  }

  /** The parked chunks of some documents of a job. */
  async chunksOf(job: string, paths: string[]): Promise<BatchChunk[]> {
    const chunks: BatchChunk[] = [];
    for (const piece of inPieces(paths, 200)) {
      const rows = await this.#chunks
        .query()
        .where(`job = ${sqlString(job)} AND ${sqlIn("path", piece)}`)
        .toArray();
      for (const row of rows) {
        chunks.push({
          ...toChunkMatch(row),
          vector: row.vector ? Float32Array.from(row.vector as ArrayLike<number>) : undefined,
          customId: row.custom_id === null ? undefined : String(row.custom_id),
          title: row.title === null ? undefined : String(row.title),
        });
      }
    }
    return chunks;
  }

  /** Stores downloaded results (appends; `clearResults` first when collecting again). */
  async addResults(
    job: string,
    results: Array<{ customId: string; vector?: Float32Array; error?: string }>,
  ): Promise<void> {
    if (results.length === 0) return;
    await this.#results.add(
      results.map((result) => ({
        job,
        custom_id: result.customId,
        vector: result.vector ?? null,
        error: result.error ?? null,
      })),
    );
  }

  /** Vectors of the given custom ids (ids without a vector are absent). */
  async vectors(job: string, customIds: string[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    for (const piece of inPieces(customIds, 500)) {
      const rows = await this.#results
        .query()
        .where(`job = ${sqlString(job)} AND vector IS NOT NULL AND ${sqlIn("custom_id", piece)}`)
        .select(["custom_id", "vector"])
        .toArray();
      for (const row of rows) found.set(String(row.custom_id), Float32Array.from(row.vector as ArrayLike<number>));
    }
    return found;
  }

  async clearResults(job: string): Promise<void> {
    await this.#results.delete(`job = ${sqlString(job)}`);
  }

  /** Forgets documents of a job (all of them without `paths`), with their chunks and results when the job is done. */
  async remove(job: string, paths?: string[]): Promise<void> {
    if (!paths) {
      await this.#chunks.delete(`job = ${sqlString(job)}`);
      await this.#documents.delete(`job = ${sqlString(job)}`);
      await this.#results.delete(`job = ${sqlString(job)}`);
      return;
    }
    for (const piece of inPieces(paths, 500)) {
      await this.#chunks.delete(`job = ${sqlString(job)} AND ${sqlIn("path", piece)}`);
      await this.#documents.delete(`job = ${sqlString(job)} AND ${sqlIn("path", piece)}`);
    }
  }

  async count(job: string): Promise<{ documents: number; inputs: number }> {
    return {
      documents: await this.#documents.countRows(`job = ${sqlString(job)}`),
      inputs: await this.#chunks.countRows(`job = ${sqlString(job)} AND custom_id IS NOT NULL`),
    };
  }

  close(): void {
    for (const table of [this.#chunks, this.#documents, this.#results]) table.close();
  }
}
