import * as lancedb from "@lancedb/lancedb";

/** Everything an index holds, sorted, for comparing two indexes exactly. */
export interface IndexDump {
  chunks: Array<Record<string, unknown>>;
  documents: Array<Record<string, unknown>>;
}

/** Reads the chunks and manifest tables straight from LanceDB (vectors as plain arrays). */
export async function dumpIndex(uri: string): Promise<IndexDump> {
  const db = await lancedb.connect(uri);
  try {
    const chunks = (await (await db.openTable("chunks")).query().toArray())
      .map((row) => ({ ...row, vector: row.vector ? Array.from(row.vector as ArrayLike<number>) : undefined }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const documents = (
      await (
        await db.openTable("documents")
      )
        .query()
        .select(["path", "source", "kind", "hash", "status", "chunks"])
        .toArray()
    )
      .map((row) => ({ ...row }))
      .sort((a, b) => String(a.path).localeCompare(String(b.path)));
    return { chunks, documents };
  } finally {
    db.close();
  }
}
