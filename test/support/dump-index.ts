import * as lancedb from "@lancedb/lancedb";

/** Everything an index holds, sorted, for comparing two indexes exactly. */
export interface IndexDump {
  chunks: Array<Record<string, unknown>>;
  documents: Array<Record<string, unknown>>;
}

/**
 * Reads the chunks and manifest tables straight from LanceDB (vectors as plain arrays). Rows of
 * layout 4 (a root id and a relative path) are shown as the rest of gemindex sees them: with
 * their absolute `path` and `source` root, looked up in the index's roots registry. An index on
 * object storage needs `storageOptions` (it is opened as gemindex opens it, writing nothing).
 */
export async function dumpIndex(uri: string, storageOptions?: Record<string, string>): Promise<IndexDump> {
  // The directory namespace without its manifest: reading an index must not create anything in it.
  const db = await lancedb.connectNamespace(
    "dir",
    {
      root: uri,
      manifestEnabled: false,
      extraProperties: Object.fromEntries(
        Object.entries(storageOptions ?? {}).map(([key, value]) => [`storage.${key}`, value]),
      ),
    },
    storageOptions ? { storageOptions } : {},
  );
  const open = (name: string) => db.openTable(name, [], storageOptions ? { storageOptions } : undefined);
  try {
    const meta = await open("meta");
    const rootsRow = (await meta.query().where("key = 'roots'").toArray())[0];
    meta.close();
    const roots = rootsRow
      ? (JSON.parse(String(rootsRow.value)) as Record<string, { path: string; kind: string }>)
      : {};
    const absolute = (row: Record<string, unknown>): Record<string, unknown> => {
      if (row.root === undefined) return row;
      const { root, ...rest } = row;
      const entry = roots[String(root)];
      if (!entry) return row;
      const path = String(row.path) === "" ? entry.path : `${entry.path}/${String(row.path)}`;
      return { ...rest, path, source: entry.path };
    };
    const chunks = (await (await open("chunks")).query().toArray())
      .map((row) => absolute({ ...row, vector: row.vector ? Array.from(row.vector as ArrayLike<number>) : undefined }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const documentsTable = await open("documents");
    const rooted = (await documentsTable.schema()).fields.some((field) => field.name === "root");
    const documents = (
      await documentsTable
        .query()
        .select(["path", rooted ? "root" : "source", "kind", "hash", "status", "chunks"])
        .toArray()
    )
      .map((row) => {
        const { path, source, kind, hash, status, chunks } = absolute({ ...row });
        return { path, source, kind, hash, status, chunks };
      })
      .sort((a, b) => String(a.path).localeCompare(String(b.path)));
    return { chunks, documents };
  } finally {
    db.close();
  }
}
