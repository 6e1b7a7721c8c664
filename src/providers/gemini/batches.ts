import { ProviderError } from "../../errors.js";
import type { BatchJobInfo, BatchListOptions } from "../types.js";
import { batchStateOf, onlyRetryUnprocessed } from "./batch-state.js";
import type { GeminiClient } from "./client.js";
import { cancelNativeBatch, listNativeBatches } from "./native-batches.js";

/**
 * The compat batch object, read loosely: beyond id and status its fields are UNCONFIRMED
 * (https://ai.google.dev/gemini-api/docs/openai).
 */
type RawBatch = Record<string, unknown>;

interface RawBatchPage {
  data?: unknown;
  has_more?: unknown;
  last_id?: unknown;
}

/**
 * The compat path of a batch: `/batches/batches/<id>`. Gemini's ids contain a slash
 * (`batches/<id>`); openai-node's `batches.retrieve()` percent-encodes it (`batches%2F<id>`),
 * which Google is not known to accept, while the SDK's generic methods keep a literal path — the
 * URL Google's own Python sample ends up calling. A bare id gets the `batches/` prefix.
 */
export function batchPath(id: string): string {
  const bare = id.replace(/^batches\//, "");
  if (bare === "" || bare.includes("/"))
    throw new ProviderError(`Not a batch id: ${JSON.stringify(id)}.`, { operation: "batch status" });
  return `/batches/batches/${encodeURIComponent(bare)}`;
}

function member(object: RawBatch, snake: string): unknown {
  if (object[snake] !== undefined && object[snake] !== null) return object[snake];
  return object[snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())] ?? undefined;
}

function isoTime(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  // OpenAI sends Unix seconds; Gemini writes numbers as strings in places; native objects use RFC 3339.
  const seconds =
    typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : undefined;
  const date = seconds === undefined ? new Date(String(value)) : new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function count(value: unknown): number | undefined {
  const number = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) ? number : undefined;
}

function errorText(raw: RawBatch): string | undefined {
  const messages: string[] = [];
  const collect = (item: unknown) => {
    if (typeof item === "string") messages.push(item);
    else if (item && typeof item === "object") {
      const { message, code } = item as { message?: unknown; code?: unknown };
      if (typeof message === "string") messages.push(message);
      else if (code !== undefined) messages.push(String(code));
    }
  };
  const errors = raw.errors;
  if (Array.isArray(errors)) errors.forEach(collect);
  else if (errors && typeof errors === "object" && Array.isArray((errors as { data?: unknown }).data))
    (errors as { data: unknown[] }).data.forEach(collect);
  if (raw.error !== undefined && raw.error !== null) collect(raw.error);
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** Our view of a compat batch object. */
export function toBatchJobInfo(raw: RawBatch): BatchJobInfo {
  if (typeof raw.id !== "string" || raw.id === "") {
    throw new ProviderError("The batch service answered with no batch id.", {
      operation: "batch status",
      excerpt: JSON.stringify(raw).slice(0, 300),
    });
  }
  const info: BatchJobInfo = { id: raw.id, state: batchStateOf(raw.status ?? raw.state) };
  const inputFile = member(raw, "input_file_id");
  const outputFile = member(raw, "output_file_id");
  const createdAt = isoTime(member(raw, "created_at") ?? raw.createTime);
  if (typeof inputFile === "string" && inputFile !== "") info.inputFile = inputFile;
  if (typeof outputFile === "string" && outputFile !== "") info.outputFile = outputFile;
  if (createdAt) info.createdAt = createdAt;
  const rawCounts = member(raw, "request_counts");
  if (rawCounts && typeof rawCounts === "object") {
    const { total, completed, failed } = rawCounts as Record<string, unknown>;
    const counts = { total: count(total), completed: count(completed), failed: count(failed) };
    info.counts = Object.fromEntries(Object.entries(counts).filter(([, value]) => value !== undefined));
  }
  const error = errorText(raw);
  if (error) info.error = error;
  return info;
}

/**
 * Creates an embeddings batch over an uploaded JSONL file. Sends exactly `input_file_id`,
 * `endpoint` and `completion_window: "24h"` (no `metadata`: unconfirmed on Gemini, whose compat
 * layer rejects unknown fields). Only failures that show the job was not created (429, 503) are
 * retried: after a timeout or a 500 the job may exist, and a second one would be paid twice.
 */
export async function createBatch(
  client: GeminiClient,
  inputFile: string,
  options: { endpoint?: "/v1/embeddings" | "/v1/chat/completions"; signal?: AbortSignal } = {},
): Promise<BatchJobInfo> {
  const operation = "batch create";
  const { signal } = options;
  const raw = await client.call(
    operation,
    async (_attempt, scoped) => {
      try {
        return await client.openai.batches.create(
          { input_file_id: inputFile, endpoint: options.endpoint ?? "/v1/embeddings", completion_window: "24h" },
          { signal: scoped },
        );
      } catch (error) {
        throw onlyRetryUnprocessed(client, operation, error);
      }
    },
    signal,
  );
  return toBatchJobInfo(raw as unknown as RawBatch);
}

/** Reads a job's current state (`GET /batches/batches/<id>`). */
export async function getBatch(client: GeminiClient, id: string, signal?: AbortSignal): Promise<BatchJobInfo> {
  const path = batchPath(id);
  const raw = await client.call(
    "batch status",
    (_attempt, scoped) => client.openai.get<RawBatch>(path, { signal: scoped }),
    signal,
  );
  return toBatchJobInfo(raw);
}

/**
 * Asks the service to stop a job (`POST /batches/batches/<id>/cancel`, UNCONFIRMED on Gemini).
 * When the service refuses because the job already ended (or a retried cancel already took),
 * the job's current state is returned instead of an error.
 */
export async function cancelBatch(client: GeminiClient, id: string, signal?: AbortSignal): Promise<BatchJobInfo> {
  const path = `${batchPath(id)}/cancel`;
  try {
    return await compatOrNative(client, "batch cancel", path, signal, () => cancelNativeBatch(client, id, signal));
  } catch (error) {
    if (!(error instanceof ProviderError) || (error.status !== 400 && error.status !== 409)) throw error;
    const current = await getBatch(client, id, signal).catch(() => undefined);
    if (!current || current.state === "pending" || current.state === "running") throw error;
    return current;
  }
}

/**
 * Cancel and list are not in the compat layer's documented surface: where it answers 404, the
 * native Batch API (same jobs, same ids) does the work.
 */
async function compatOrNative(
  client: GeminiClient,
  operation: string,
  path: string,
  signal: AbortSignal | undefined,
  native: () => Promise<BatchJobInfo>,
): Promise<BatchJobInfo> {
  try {
    const raw = await client.call(
      operation,
      (_attempt, scoped) => client.openai.post<RawBatch>(path, { signal: scoped }),
      signal,
    );
    return toBatchJobInfo(raw);
  } catch (error) {
    if (error instanceof ProviderError && error.status === 404 && client.hasNative) return native();
    throw error;
  }
}

/**
 * Jobs, newest first, following the cursor (`after=<last id>`) until `limit` (`GET /batches`, UNCONFIRMED on Gemini).
 */
export async function listBatches(client: GeminiClient, options: BatchListOptions = {}): Promise<BatchJobInfo[]> {
  try {
    return await listCompatBatches(client, options);
  } catch (error) {
    // No compat list (404): the native list has the same jobs.
    if (error instanceof ProviderError && error.status === 404 && client.hasNative)
      return listNativeBatches(client, options);
    throw error;
  }
}

async function listCompatBatches(client: GeminiClient, options: BatchListOptions): Promise<BatchJobInfo[]> {
  const { signal } = options;
  const limit = options.limit ?? 100;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? limit, 100));
  const jobs: BatchJobInfo[] = [];
  let after: string | undefined;
  while (jobs.length < limit) {
    const query: Record<string, string | number> = { limit: Math.min(pageSize, limit - jobs.length) };
    if (after !== undefined) query.after = after;
    const page = await client.call(
      "batch list",
      (_attempt, scoped) => client.openai.get<RawBatchPage>("/batches", { query, signal: scoped }),
      signal,
    );
    const data = Array.isArray(page.data) ? (page.data as RawBatch[]) : [];
    for (const raw of data) jobs.push(toBatchJobInfo(raw));
    const last = typeof page.last_id === "string" ? page.last_id : jobs.at(-1)?.id;
    if (page.has_more !== true || data.length === 0 || last === undefined || last === after) break;
    after = last;
  }
  return jobs.slice(0, limit);
}
