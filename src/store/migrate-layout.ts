import type { RecordBatch } from "apache-arrow";
import { metaKeys } from "./meta-keys.js";
import type { Store } from "./open-store.js";
import { Roots } from "./roots.js";
import { chunkTable, toChunkMatch, toDocumentRecord, toDocumentRow } from "./rows.js";
import { chunkSchema, documentSchema } from "./schema.js";
import type { IndexMeta, StoredChunk } from "./types.js";

/** What a migration to layout 4 did. */
export interface LayoutMigration {
  roots: number;
  documents: number;
  chunks: number;
}

/**
 * Migrates an index of layout 3 (absolute paths) to layout 4 (a root id and a path relative to
 * it), holding the write lock (the caller's), without embedding anything: the roots are
 * registered from the documents' and chunks' source roots, then each table is rebuilt beside
 * itself and swapped in (see Store.rebuildTable), chunks first, then the manifest, then the
 * layout version. A crash leaves each table whole in one layout or the other; both are readable,
 * and the next writer finishes. Indexes (full-text, ANN) are made again by the run's maintenance.
 */
export async function migrateLayout(store: Store, meta: IndexMeta): Promise<LayoutMigration> {
  const roots = new Roots(Object.fromEntries(store.roots.map(({ id, path, kind }) => [id, { path, kind }])));
  const result: LayoutMigration = { roots: 0, documents: 0, chunks: 0 };
  const register = (path: string, source: string) => {
    if (!roots.find(source) && roots.register(source, path === source ? "file" : "folder").added) result.roots++;
  };
  const chunksSchema = await store.tableSchema("chunks");
  const documentsSchema = await store.tableSchema("documents");
  const oldChunks = chunksSchema !== undefined && !chunksSchema.fields.some((field) => field.name === "root");
  const oldDocuments = documentsSchema !== undefined && !documentsSchema.fields.some((field) => field.name === "root");
  for (const [table, old] of [
    ["documents", oldDocuments],
    ["chunks", oldChunks],
  ] as const) {
    if (!old) continue;
    await store.scan(table, {
      columns: ["path", "source"],
      visit: (batch) => {
        const paths = batch.getChild("path");
        const sources = batch.getChild("source");
        for (let i = 0; i < batch.numRows; i++) register(String(paths?.get(i)), String(sources?.get(i)));
      },
    });
  }
  await store.writeValue(metaKeys.roots, roots.toJSON());
  await store.refresh();
  const place = (chunk: { path: string; source: string }) => roots.place(chunk.source, chunk.path)!;
  if (oldChunks) {
    const schema = chunkSchema(meta.embedding);
    await store.rebuildTable("chunks", schema, async (add) => {
      await store.scan("chunks", {
        visit: async (batch: RecordBatch) => {
          const rows = batch.toArray().map((row) => ({
            chunk: {
              ...toChunkMatch(row as Record<string, unknown>),
              ...(row.vector ? { vector: Float32Array.from(row.vector as ArrayLike<number>) } : {}),
            } as StoredChunk,
            documentHash: String(row.doc_hash),
          }));
          result.chunks += rows.length;
          if (rows.length > 0) await add(chunkTable(rows, schema, place));
        },
      });
    });
  }
  if (oldDocuments) {
    await store.rebuildTable("documents", documentSchema, async (add) => {
      await store.scan("documents", {
        visit: async (batch: RecordBatch) => {
          const rows = batch.toArray().map((row) => {
            const record = toDocumentRecord(row as Record<string, unknown>);
            return toDocumentRow(record, place(record));
          });
          result.documents += rows.length;
          if (rows.length > 0) await add(rows);
        },
      });
    });
  }
  return result;
}
