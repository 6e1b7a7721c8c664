import { fitVector } from "../fit-vector.js";

/** One output line of an embeddings batch, read. */
export type BatchOutputLine =
  | { type: "vector"; customId: string; vector: Float32Array }
  | { type: "failure"; customId: string; reason: string }
  /** A line naming no custom id: it cannot be matched to an input. */
  | { type: "unreadable"; reason: string };

export interface ParseBatchOutputOptions {
  /** Every vector is cut to this length and L2-normalised (the service may ignore `dimensions`). */
  dimensions: number;
  /** Names the source in vector errors, e.g. "batch embedding (gemini-embedding-001)". @default "batch embedding" */
  context?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `snake_case` or `camelCase` member: Gemini writes output bodies in proto-JSON camelCase, OpenAI in snake_case. */
function member(object: Json, snake: string): unknown {
  if (object[snake] !== undefined) return object[snake];
  return object[snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())];
}

/** The id a line carries: `custom_id` (OpenAI format), `customId`, or `key` (Gemini's native format). */
function customIdOf(line: Json): string | undefined {
  for (const name of ["custom_id", "customId", "key"]) {
    const value = line[name];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** Digs the id out of a line that is not valid JSON, when its id member is intact. */
function customIdFromText(text: string): string | undefined {
  for (const name of ["custom_id", "customId", "key"]) {
    const match = new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text);
    if (!match) continue;
    try {
      const value: unknown = JSON.parse(`"${match[1]}"`);
      if (typeof value === "string" && value !== "") return value;
    } catch {
      // A broken escape: try the next spelling.
    }
  }
  return undefined;
}

/**
 * A short reason from an error member: Google's `{code,message,status}` (bare or array-wrapped) or OpenAI's
 * `{code,message}`.
 */
function describeError(error: unknown): string {
  let value = Array.isArray(error) ? error[0] : error;
  if (isObject(value) && isObject(value.error)) value = value.error;
  if (typeof value === "string") return value.slice(0, 300);
  if (!isObject(value)) return JSON.stringify(value ?? null).slice(0, 300);
  const label = [value.code, value.status]
    .filter((part) => part !== undefined && part !== null && part !== "")
    .join(" ");
  const message = typeof value.message === "string" ? value.message : JSON.stringify(value).slice(0, 300);
  return label ? `${label}: ${message}` : message;
}

function decodeBase64Floats(text: string): number[] | undefined {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const values: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4) values.push(bytes.readFloatLE(offset));
  return values;
}

/** Floats from `[…]`, `{values:[…]}` or a base64 little-endian float32 string. */
function floatsOf(embedding: unknown): ArrayLike<number> | undefined {
  if (Array.isArray(embedding)) return embedding as number[];
  if (typeof embedding === "string") return decodeBase64Floats(embedding);
  if (isObject(embedding) && Array.isArray(embedding.values)) return embedding.values as number[];
  return undefined;
}

/**
 * The one vector of a response body: compat `data[0].embedding`, native `embedding.values` or `embeddings[0].values`.
 */
function vectorOf(body: Json): ArrayLike<number> | string {
  if (Array.isArray(body.data)) {
    if (body.data.length !== 1) return `expected one vector in the response, got ${body.data.length}`;
    const item: unknown = body.data[0];
    return (isObject(item) && floatsOf(item.embedding)) || "the response's data[0] holds no embedding";
  }
  if (body.embedding !== undefined) return floatsOf(body.embedding) ?? "the response's embedding holds no values";
  if (Array.isArray(body.embeddings)) {
    if (body.embeddings.length !== 1) return `expected one vector in the response, got ${body.embeddings.length}`;
    return floatsOf(body.embeddings[0]) ?? "the response's embeddings[0] holds no values";
  }
  return "the response holds no embedding";
}

/**
 * Reads one output line of an embeddings batch, in any key order and casing:
 * `{"response":{"status_code":200,"body":{"data":[{"embedding":[…]}]}},"custom_id":"…"}` (OpenAI
 * format, `statusCode`/`customId` accepted), or Gemini's native
 * `{"response":{"embedding":{"values":[…]}},"key":"…"}`.
 * A non-2xx status, an `error` member, a missing or unusable vector, or a line that is not JSON
 * but still shows its custom id become a failure of that id; a line with no readable id is
 * unreadable. Every vector goes through `fitVector`: exact length, unit norm.
 */
export function parseBatchOutputLine(text: string, options: ParseBatchOutputOptions): BatchOutputLine {
  const context = options.context ?? "batch embedding";
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    const customId = customIdFromText(text);
    const reason = `the output line is not valid JSON: ${text.slice(0, 120)}`;
    return customId === undefined ? { type: "unreadable", reason } : { type: "failure", customId, reason };
  }
  if (!isObject(line))
    return { type: "unreadable", reason: `the output line is not a JSON object: ${text.slice(0, 120)}` };
  const customId = customIdOf(line);
  if (customId === undefined)
    return { type: "unreadable", reason: `the output line has no custom_id: ${text.slice(0, 120)}` };
  const failure = (reason: string): BatchOutputLine => ({ type: "failure", customId, reason });

  if (line.error !== undefined && line.error !== null) return failure(describeError(line.error));
  const response = line.response;
  if (!isObject(response)) return failure("the output line has no response");
  const rawStatus = member(response, "status_code");
  let body: unknown = response.body ?? (rawStatus === undefined ? response : undefined);
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // Reported below as a body that is not an object.
    }
  }
  if (rawStatus !== undefined) {
    const status = Number(rawStatus);
    if (!Number.isInteger(status)) return failure(`the response has an unreadable status ${JSON.stringify(rawStatus)}`);
    if (status < 200 || status > 299)
      return failure(`HTTP ${status}${body === undefined ? "" : `: ${describeError(body)}`}`);
  }
  if (!isObject(body)) return failure("the response has no JSON body");
  if (body.error !== undefined && body.error !== null) return failure(describeError(body.error));

  const values = vectorOf(body);
  if (typeof values === "string") return failure(values);
  try {
    return { type: "vector", customId, vector: fitVector(values, options.dimensions, context) };
  } catch (error) {
    return failure(error instanceof Error ? error.message : String(error));
  }
}
