/**
 * Deterministic embeddings that carry meaning: a signed, hashed bag of words and word bigrams.
 *
 * Each feature is hashed into one bucket at every Matryoshka level (128, 256, 512, 768, 1536, 3072),
 * so any prefix of at least 128 dimensions still holds every word — truncated vectors keep working
 * for retrieval, as MRL-trained embeddings do. The 3072-dim vector is L2-normalised; a truncated
 * gemini-embedding-001 vector is NOT re-normalised (https://ai.google.dev/gemini-api/docs/embeddings), while
 * gemini-embedding-2
 * models re-normalise truncated output. Models other than 001 hash with a model seed, so vectors
 * of different models are unrelated, as in reality.
 *
 * Task types (gemini-embedding-001; Embedding 2 ignores them) add a small component of the text
 * hashed in a space of their own: RETRIEVAL_DOCUMENT and the query types Google pairs with it
 * (RETRIEVAL_QUERY, QUESTION_ANSWERING, FACT_VERIFICATION, CODE_RETRIEVAL_QUERY) share one space,
 * SEMANTIC_SIMILARITY, CLASSIFICATION and CLUSTERING have one each, and no task type (or
 * TASK_TYPE_UNSPECIFIED) adds none. A documented pairing (RETRIEVAL_QUERY against
 * RETRIEVAL_DOCUMENT, or plain against plain) scores a query against its own text at 1; a mixed
 * one (RETRIEVAL_QUERY against plain documents) at 1/sqrt(1 + w²) ≈ 0.89: ranking still mostly
 * works, as it would with the real model, but a test can tell the pairing was wrong.
 */
import { createHash } from "node:crypto";

export const FULL_DIMENSIONS = 3072;
const LEVELS = [128, 256, 512, 768, 1536, 3072] as const;
const BIGRAM_WEIGHT = 0.5;
const BASE_MODEL = "gemini-embedding-001";
/** Weight of the task-type component against the text's own vector (both unit length). */
export const TASK_TYPE_WEIGHT = 0.5;

/** The space each task type's component lives in (documents and the queries paired with them share one). */
const TASK_SPACES: Record<string, string | undefined> = {
  RETRIEVAL_DOCUMENT: "retrieval",
  RETRIEVAL_QUERY: "retrieval",
  QUESTION_ANSWERING: "retrieval",
  FACT_VERIFICATION: "retrieval",
  CODE_RETRIEVAL_QUERY: "retrieval",
  SEMANTIC_SIMILARITY: "similarity",
  CLASSIFICATION: "classification",
  CLUSTERING: "clustering",
};

const STOPWORDS = new Set(
  (
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its " +
    "me my no not of on or our so than that the their them then there these they this those to was we were " +
    "what when where which who why will with would you your"
  ).split(" "),
);

/** FNV-1a, 32-bit. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Light normalisation so "documents" meets "document" and "queries" meets "query". */
function normalizeWord(word: string): string {
  let w = word.replace(/'s$/, "");
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** Lower-cased, normalised content words (stopwords dropped). */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
  return words.map(normalizeWord).filter((word) => word.length > 0 && !STOPWORDS.has(word));
}

function features(text: string): Map<string, number> {
  const words = tokenize(text);
  const weights = new Map<string, number>();
  const add = (feature: string, weight: number) => weights.set(feature, (weights.get(feature) ?? 0) + weight);
  words.forEach((word, i) => {
    add(word, 1);
    const next = words[i + 1];
    if (next !== undefined) add(`${word} ${next}`, BIGRAM_WEIGHT);
  });
  // Text with no content words still gets a stable, text-specific vector.
  if (weights.size === 0) add(`\u0000${text.trim().toLowerCase()}`, 1);
  return weights;
}

function l2(vector: Float64Array | number[]): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

function scaled(vector: Float64Array, length: number): Float64Array {
  const norm = l2(vector);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = norm === 0 ? 0 : vector[i]! / norm;
  return out;
}

function seedFor(model: string): string {
  return model.replace(/^models\//, "") === BASE_MODEL ? "" : `${model.replace(/^models\//, "")}\u0000`;
}

/** The 3072-dim unit text vector (`space`: a task type's space, hashed apart from the text's own). */
function textVector(text: string, model: string, space = ""): Float64Array {
  const vector = new Float64Array(FULL_DIMENSIONS);
  const seed = `${seedFor(model)}${space ? `${space}\u0000` : ""}`;
  for (const [feature, count] of features(text)) {
    const weight = count >= 1 ? 1 + Math.log(count) : count;
    LEVELS.forEach((level, i) => {
      const hash = fnv1a(`${seed}${i}:${feature}`);
      vector[hash % level]! += hash >>> 31 ? weight : -weight;
    });
  }
  return scaled(vector, FULL_DIMENSIONS);
}

/** A unit vector derived from bytes (images, audio…): xorshift seeded by their SHA-256. */
function bytesVector(bytes: Uint8Array, model: string): Float64Array {
  const digest = createHash("sha256").update(seedFor(model)).update(bytes).digest();
  let state = digest.readUInt32LE(0) || 1;
  const vector = new Float64Array(FULL_DIMENSIONS);
  for (let i = 0; i < FULL_DIMENSIONS; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    vector[i] = ((state >>> 0) / 0xffffffff) * 2 - 1;
  }
  return scaled(vector, FULL_DIMENSIONS);
}

export type EmbedPart =
  | { text: string }
  | { bytes: Uint8Array /** An image (counted against the per-request limit). */; image?: boolean };

export interface EmbedOptions {
  /** @default "gemini-embedding-001" */
  model?: string;
  /** Native `taskType` (undefined: none, as through compat). Ignored by Embedding 2 models. */
  taskType?: string;
}

/** Whether a model re-normalises truncated output (Embeddings 2 does; 001 does not). */
function renormalizes(model: string): boolean {
  return model.replace(/^models\//, "").startsWith("gemini-embedding-2");
}

/**
 * One vector for all parts of a content (several parts give one combined vector), truncated to
 * `dimensions`, values rounded to float32 so float and base64 replies agree exactly.
 */
export function embedParts(parts: EmbedPart[], dimensions = FULL_DIMENSIONS, options: EmbedOptions = {}): number[] {
  const model = options.model ?? BASE_MODEL;
  const space = renormalizes(model) ? undefined : TASK_SPACES[options.taskType ?? ""];
  const sum = new Float64Array(FULL_DIMENSIONS);
  const add = (vector: Float64Array, weight = 1) => {
    for (let i = 0; i < FULL_DIMENSIONS; i++) sum[i]! += weight * vector[i]!;
  };
  for (const part of parts) {
    if (!("text" in part)) {
      add(bytesVector(part.bytes, model));
      continue;
    }
    add(textVector(part.text, model));
    if (space) add(textVector(part.text, model, space), TASK_TYPE_WEIGHT);
  }
  const full = scaled(sum, FULL_DIMENSIONS);
  const length = Math.min(Math.max(1, Math.floor(dimensions)), FULL_DIMENSIONS);
  const out =
    length < FULL_DIMENSIONS && renormalizes(model)
      ? scaled(full.subarray(0, length), length)
      : full.subarray(0, length);
  return Array.from(out, (value) => Math.fround(value));
}

/**
 * The embedding the emulator returns for `text` (gemini-embedding-001 unless `options.model`).
 * @example cosineSimilarity(embedText("refund policy"), embedText("what is the refund policy?")) > 0.5
 */
export function embedText(text: string, dimensions?: number, options?: EmbedOptions): number[] {
  return embedParts([{ text }], dimensions, options);
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) dot += a[i]! * b[i]!;
  const norm = l2(a as number[]) * l2(b as number[]);
  return norm === 0 ? 0 : dot / norm;
}

/** Little-endian float32 base64, the encoding the openai SDK decodes. */
export function toBase64Floats(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
