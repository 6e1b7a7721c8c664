import type { Field as FieldType, Schema as SchemaType } from "apache-arrow";
import type { EmbeddingConfig } from "../providers/types.js";
import { arrow } from "./arrow.js";

const { Field, FixedSizeList, Float32, Float64, Int32, Schema, Utf8 } = arrow;
type Schema = SchemaType;
type Field = FieldType;

/**
 * Bumped when a table layout changes. 4: rows hold a root id and a path relative to it (see
 * Roots) instead of absolute paths; an index of layout 3 is read as it is and migrated by the
 * next writer, without re-embedding. Older layouts ask for a re-index.
 */
export const schemaVersion = 4;

/** The oldest layout the next writer can migrate. */
export const migratableSchemaVersion = 3;

/**
 * One row per chunk. `vector` exists only when the index has an embedding configuration, and
 * carries that configuration in its field metadata (`gemindex.embedding`, JSON): the fingerprint
 * of what made the vectors, kept with them even if the meta table is lost.
 */
export function chunkSchema(embedding: EmbeddingConfig | null | undefined): Schema {
  const fields = chunkFields(true);
  if (embedding) fields.push(vectorField(embedding.dimensions, false, embedding));
  return new Schema(fields);
}

/** The field-metadata key of the vector column that records its embedding configuration. */
export const embeddingMetadataKey = "gemindex.embedding";

function vectorField(dimensions: number, nullable: boolean, embedding?: EmbeddingConfig): Field {
  return new Field(
    "vector",
    new FixedSizeList(dimensions, new Field("item", new Float32(), true)),
    nullable,
    embedding ? new Map([[embeddingMetadataKey, JSON.stringify(embedding)]]) : undefined,
  );
}

/**
 * Chunks of documents waiting for a Batch API job: the chunk columns, the vector when it was
 * reused, the job, the custom id the job answers with (null for reused chunks) and the title.
 */
export function batchChunkSchema(dimensions: number): Schema {
  return new Schema([
    // Parked rows keep absolute paths: they live for a day, and their documents are written
    // through the store, which places them under their root.
    ...chunkFields(false),
    vectorField(dimensions, true),
    new Field("job", new Utf8(), false),
    new Field("custom_id", new Utf8(), true),
    new Field("title", new Utf8(), true),
  ]);
}

/** Manifest rows of documents waiting for a Batch API job (the record as JSON). */
export const batchDocumentSchema = new Schema([
  new Field("job", new Utf8(), false),
  new Field("path", new Utf8(), false),
  new Field("record", new Utf8(), false),
]);

/** Vectors (or per-line errors) downloaded from a finished Batch API job. */
export function batchResultSchema(dimensions: number): Schema {
  return new Schema([
    new Field("job", new Utf8(), false),
    new Field("custom_id", new Utf8(), false),
    vectorField(dimensions, true),
    new Field("error", new Utf8(), true),
  ]);
}

/** Chunk columns; `rooted` (layout 4) stores the root id and a relative path instead of the source root. */
function chunkFields(rooted: boolean): Field[] {
  return [
    new Field("id", new Utf8(), false),
    new Field("path", new Utf8(), false),
    rooted ? new Field("root", new Utf8(), false) : new Field("source", new Utf8(), false),
    new Field("kind", new Utf8(), false),
    new Field("ordinal", new Int32(), false),
    new Field("text", new Utf8(), false),
    new Field("headings", new Utf8(), false),
    new Field("page", new Int32(), true),
    new Field("line_start", new Int32(), true),
    new Field("line_end", new Int32(), true),
    new Field("location", new Utf8(), true),
    new Field("tokens", new Int32(), false),
    new Field("hash", new Utf8(), false),
    // The content hash of the document version the chunk belongs to (see Store.replaceChunks).
    new Field("doc_hash", new Utf8(), false),
  ];
}

/** The manifest: one row per document (its root and path relative to it), written after its chunks. */
export const documentSchema = new Schema([
  new Field("path", new Utf8(), false),
  new Field("root", new Utf8(), false),
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
