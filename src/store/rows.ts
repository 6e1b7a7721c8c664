import type { Data, Schema, Table } from "apache-arrow";
import { StoreError } from "../errors.js";
import { arrow } from "./arrow.js";
import type { ChunkMatch, DocumentRecord, StoredChunk } from "./types.js";

/**
 * Conversions between our records and LanceDB rows (snake_case columns, nulls for absent values).
 * Records carry absolute paths; a row of layout 4 carries a root id and a path relative to it:
 * `place` turns the first into the second on the way in, `resolve` back on the way out. Rows
 * without a root column (layout 3, batch tables) keep absolute paths.
 */

/** Where a record is stored: its root id and path relative to it. */
export type Place = { root: string; path: string };
/** A stored root id and relative path as an absolute path and its source root. */
export type Resolve = (root: string | null | undefined, path: string) => { path: string; source: string };

function located(row: Record<string, unknown>, resolve?: Resolve): { path: string; source: string } {
  if (row.root !== undefined && resolve) return resolve(row.root === null ? null : String(row.root), String(row.path));
  return { path: String(row.path), source: String(row.source) };
}

/** A chunk row; `documentHash` tags it with its document's version (see Store.replaceChunks). */
export function toChunkRow(chunk: StoredChunk, documentHash: string): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: chunk.id,
    doc_hash: documentHash,
    path: chunk.path,
    source: chunk.source,
    kind: chunk.kind,
    ordinal: chunk.ordinal,
    text: chunk.text,
    headings: chunk.headings.join(" > "),
    page: chunk.page ?? null,
    line_start: chunk.lineStart ?? null,
    line_end: chunk.lineEnd ?? null,
    location: chunk.location ?? null,
    tokens: chunk.tokens,
    hash: chunk.hash,
  };
  if (chunk.vector) row.vector = chunk.vector;
  return row;
}

function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

export function toChunkMatch(row: Record<string, unknown>, resolve?: Resolve): ChunkMatch {
  const headings = String(row.headings ?? "");
  return {
    id: String(row.id),
    ...located(row, resolve),
    kind: String(row.kind),
    ordinal: Number(row.ordinal),
    text: String(row.text),
    headings: headings ? headings.split(" > ") : [],
    page: optionalNumber(row.page),
    lineStart: optionalNumber(row.line_start),
    lineEnd: optionalNumber(row.line_end),
    location: row.location === null || row.location === undefined ? undefined : String(row.location),
    tokens: Number(row.tokens),
    hash: String(row.hash),
  };
}

export function toDocumentRow(record: DocumentRecord, place?: Place): Record<string, unknown> {
  return {
    ...(place ? { path: place.path, root: place.root } : { path: record.path, source: record.source }),
    kind: record.kind ?? null,
    hash: record.hash,
    size: record.size,
    mtime_ms: record.mtimeMs,
    status: record.status,
    error: record.error ?? null,
    chunks: record.chunks,
    title: record.title ?? null,
    indexed_at: record.indexedAt,
  };
}

export function toDocumentRecord(row: Record<string, unknown>, resolve?: Resolve): DocumentRecord {
  return {
    ...located(row, resolve),
    kind: row.kind === null || row.kind === undefined ? undefined : String(row.kind),
    hash: String(row.hash),
    size: Number(row.size),
    mtimeMs: Number(row.mtime_ms),
    status: row.status === "failed" || row.status === "stale" ? row.status : "indexed",
    error: row.error === null || row.error === undefined ? undefined : String(row.error),
    chunks: Number(row.chunks),
    title: row.title === null || row.title === undefined ? undefined : String(row.title),
    indexedAt: String(row.indexed_at),
  };
}

/**
 * Chunks as an Arrow table of `schema`, built column by column (the vectors as one contiguous
 * Float32Array): about 3× faster than handing LanceDB row objects, and with far less garbage
 * left for the collector. Every vector's length is checked here, because LanceDB silently pads
 * or truncates a vector of the wrong length.
 */
export function chunkTable(
  rows: Array<{ chunk: StoredChunk; documentHash: string }>,
  schema: Schema,
  place?: (chunk: StoredChunk) => Place,
): Table {
  type Row = { chunk: StoredChunk; documentHash: string; place?: Place };
  const placed: Row[] = rows.map((row) => (place ? { ...row, place: place(row.chunk) } : row));
  const values: Record<string, (row: Row) => unknown> = {
    // Stored ids name the root, not the folder's current place, so they survive a move.
    id: ({ chunk, place }) => (place ? `${place.root}:${place.path}#${chunk.ordinal}` : chunk.id),
    path: ({ chunk, place }) => place?.path ?? chunk.path,
    root: ({ place }) => place?.root,
    source: ({ chunk }) => chunk.source,
    kind: ({ chunk }) => chunk.kind,
    ordinal: ({ chunk }) => chunk.ordinal,
    text: ({ chunk }) => chunk.text,
    headings: ({ chunk }) => chunk.headings.join(" > "),
    page: ({ chunk }) => chunk.page ?? null,
    line_start: ({ chunk }) => chunk.lineStart ?? null,
    line_end: ({ chunk }) => chunk.lineEnd ?? null,
    location: ({ chunk }) => chunk.location ?? null,
    tokens: ({ chunk }) => chunk.tokens,
    hash: ({ chunk }) => chunk.hash,
    doc_hash: ({ documentHash }) => documentHash,
  };
  const children = schema.fields.map((field) => {
    if (field.name === "vector") {
      const dimensions = (field.type as { listSize: number }).listSize;
      const floats = new Float32Array(rows.length * dimensions);
      rows.forEach(({ chunk }, i) => {
        if (!chunk.vector || chunk.vector.length !== dimensions) {
          throw new StoreError(
            `Chunk ${chunk.id} has a vector of ${chunk.vector?.length ?? 0} dimensions; the index holds ${dimensions}.`,
          );
        }
        floats.set(chunk.vector, i * dimensions);
      });
      const items = arrow.makeData({ type: new arrow.Float32(), length: floats.length, data: floats });
      return arrow.makeData({ type: field.type, length: rows.length, nullCount: 0, child: items });
    }
    const get = values[field.name];
    if (!get) throw new StoreError(`No value for column ${field.name}.`);
    if (arrow.DataType.isUtf8(field.type)) return utf8Data(placed.map(get));
    return arrow.vectorFromArray(placed.map(get), field.type).data[0]!;
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, data)]);
}

/**
 * Rows (objects keyed by column name) as an Arrow table of `schema`, built column by column, as
 * {@link chunkTable} does: what LanceDB would otherwise infer and transpose row by row.
 */
export function rowTable(rows: Array<Record<string, unknown>>, schema: Schema): Table {
  const children = schema.fields.map((field) => {
    const values = rows.map((row) => row[field.name] ?? null);
    if (arrow.DataType.isUtf8(field.type)) return utf8Data(values);
    return arrow.vectorFromArray(values, field.type).data[0]!;
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, data)]);
}

const encoder = new TextEncoder();

/**
 * A Utf8 column in one pass: every string encoded straight into one buffer, with its offsets
 * and validity. arrow's builder (`vectorFromArray`) encodes and copies each value on its own,
 * and was most of the CPU of writing chunk rows.
 */
function utf8Data(values: unknown[]): Data {
  const length = values.length;
  const offsets = new Int32Array(length + 1);
  const validity = new Uint8Array((length + 7) >> 3);
  let capacity = 0;
  for (const value of values) if (value !== null && value !== undefined) capacity += String(value).length * 3;
  const bytes = new Uint8Array(capacity);
  let nullCount = 0;
  let at = 0;
  for (let index = 0; index < length; index++) {
    const value = values[index];
    if (value === null || value === undefined) nullCount++;
    else {
      validity[index >> 3]! |= 1 << (index & 7);
      // At most 3 bytes per UTF-16 unit, so it always fits.
      at += encoder.encodeInto(String(value), bytes.subarray(at)).written;
    }
    offsets[index + 1] = at;
  }
  return arrow.makeData({
    type: new arrow.Utf8(),
    length,
    nullCount,
    ...(nullCount > 0 ? { nullBitmap: validity } : {}),
    valueOffsets: offsets,
    data: bytes.subarray(0, at),
  });
}
