import { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } from "apache-arrow";

/** Bumped when a table layout changes incompatibly; an index of another version asks for a re-index. */
export const schemaVersion = 1;

/** One row per chunk. `vector` exists only when the index has an embedding configuration. */
export function chunkSchema(dimensions: number | undefined): Schema {
  const fields: Field[] = [
    new Field("id", new Utf8(), false),
    new Field("path", new Utf8(), false),
    new Field("source", new Utf8(), false),
    new Field("kind", new Utf8(), false),
    new Field("ordinal", new Int32(), false),
    new Field("text", new Utf8(), false),
    new Field("headings", new Utf8(), false),
    new Field("page", new Int32(), true),
    new Field("line_start", new Int32(), true),
    new Field("line_end", new Int32(), true),
    new Field("tokens", new Int32(), false),
    new Field("hash", new Utf8(), false),
  ];
  if (dimensions !== undefined) {
    fields.push(new Field("vector", new FixedSizeList(dimensions, new Field("item", new Float32(), true)), false));
  }
  return new Schema(fields);
}

/** The manifest: one row per document, written after its chunks. */
export const documentSchema = new Schema([
  new Field("path", new Utf8(), false),
  new Field("source", new Utf8(), false),
  new Field("kind", new Utf8(), true),
  new Field("hash", new Utf8(), false),
  new Field("size", new Float64(), false),
  new Field("mtime_ms", new Float64(), false),
  new Field("status", new Utf8(), false),
  new Field("error", new Utf8(), true),
  new Field("chunks", new Int32(), false),
  new Field("title", new Utf8(), true),
  new Field("indexed_at", new Utf8(), false),
]);

/** Small key/value facts about the index (embedding configuration, last run). Values are JSON. */
export const metaSchema = new Schema([new Field("key", new Utf8(), false), new Field("value", new Utf8(), false)]);
