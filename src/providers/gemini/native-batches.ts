import { ProviderError } from "../../errors.js";
import type { BatchJobInfo, BatchListOptions } from "../types.js";
import { batchStateOf, onlyRetryUnprocessed } from "./batch-state.js";
import type { GeminiClient } from "./client.js";

/**
 * Gemini's native Batch API (https://ai.google.dev/gemini-api/docs/batch-mode): a job is a
 * long-running operation `batches/<id>` whose `metadata` holds the state (`BATCH_STATE_*`), the
 * counts and, once it succeeded, `output.responsesFile`. Used for embedding jobs with task types
 * (the compat layer's OpenAI-format lines cannot carry them), and as the fallback for listing and
 * cancelling where the compat routes answer 404.
 */
type Operation = Record<string, unknown>;

function object(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

function count(value: unknown): number | undefined {
  const number = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) ? number : undefined;
}

/** Our view of a native batch operation (or of its `metadata`, as the list sends it). */
export function nativeJobInfo(raw: Operation): BatchJobInfo {
  const metadata = object(raw.metadata ?? raw);
  const id = metadata.name ?? raw.name;
  if (typeof id !== "string" || id === "") {
    throw new ProviderError("The batch service answered with no batch name.", {
      operation: "batch status",
      excerpt: JSON.stringify(raw).slice(0, 300),
    });
  }
  const info: BatchJobInfo = { id, state: batchStateOf(metadata.state) };
  const input = object(metadata.inputConfig);
  if (typeof input.fileName === "string" && input.fileName !== "") info.inputFile = input.fileName;
  const output = object(metadata.output ?? raw.response);
  if (typeof output.responsesFile === "string" && output.responsesFile !== "") info.outputFile = output.responsesFile;
  if (typeof metadata.createTime === "string") info.createdAt = new Date(metadata.createTime).toISOString();
  const stats = object(metadata.batchStats);
  const counts = {
    total: count(stats.requestCount),
    completed: count(stats.successfulRequestCount),
    failed: count(stats.failedRequestCount),
  };
  const known = Object.entries(counts).filter(([, value]) => value !== undefined);
  if (known.length > 0) info.counts = Object.fromEntries(known);
  const error = object(raw.error);
  if (typeof error.message === "string" && error.message !== "") info.error = error.message;
  return info;
}

/** `batches/<id>` or `<id>` → the native path `batches/<id>`. */
function nativePath(id: string): string {
  const bare = id.replace(/^batches\//, "");
  if (bare === "" || bare.includes("/"))
    throw new ProviderError(`Not a batch id: ${JSON.stringify(id)}.`, { operation: "batch status" });
  return `batches/${encodeURIComponent(bare)}`;
}

/**
 * Creates an embeddings job (`models/<m>:asyncBatchEmbedContent`) over an uploaded JSONL file of native request lines.
 */
export async function createNativeEmbedBatch(
  client: GeminiClient,
  model: string,
  inputFile: string,
  options: { displayName?: string; signal?: AbortSignal } = {},
): Promise<BatchJobInfo> {
  const operation = "batch create";
  const batch = {
    ...(options.displayName ? { displayName: options.displayName } : {}),
    inputConfig: { fileName: inputFile },
  };
  const { body } = await client.call(
    operation,
    async (_attempt, scoped) => {
      try {
        return await client.native<Operation>(operation, {
          path: `models/${model}:asyncBatchEmbedContent`,
          body: { batch },
          signal: scoped,
        });
      } catch (error) {
        throw onlyRetryUnprocessed(client, operation, error);
      }
    },
    options.signal,
  );
  return nativeJobInfo(body);
}

export async function getNativeBatch(client: GeminiClient, id: string, signal?: AbortSignal): Promise<BatchJobInfo> {
  const { body } = await client.call(
    "batch status",
    (_attempt, scoped) =>
      client.native<Operation>("batch status", { method: "GET", path: nativePath(id), signal: scoped }),
    signal,
  );
  return nativeJobInfo(body);
}

/** `POST batches/<id>:cancel`; a job that already ended is returned as it is. */
export async function cancelNativeBatch(client: GeminiClient, id: string, signal?: AbortSignal): Promise<BatchJobInfo> {
  try {
    await client.call(
      "batch cancel",
      (_attempt, scoped) =>
        client.native<Operation>("batch cancel", { path: `${nativePath(id)}:cancel`, body: {}, signal: scoped }),
      signal,
    );
  } catch (error) {
    if (!(error instanceof ProviderError) || (error.status !== 400 && error.status !== 409)) throw error;
    const current = await getNativeBatch(client, id, signal).catch(() => undefined);
    if (!current || current.state === "pending" || current.state === "running") throw error;
    return current;
  }
  return getNativeBatch(client, id, signal);
}

/** Jobs as the native list gives them (`GET batches`, following `nextPageToken`), up to `limit`. */
export async function listNativeBatches(client: GeminiClient, options: BatchListOptions = {}): Promise<BatchJobInfo[]> {
  const limit = options.limit ?? 100;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? limit, 100));
  const jobs: BatchJobInfo[] = [];
  let pageToken: string | undefined;
  do {
    const path = `batches?pageSize=${pageSize}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`;
    const { body } = await client.call(
      "batch list",
      (_attempt, scoped) =>
        client.native<{ operations?: Operation[]; batches?: Operation[]; nextPageToken?: string }>("batch list", {
          method: "GET",
          path,
          signal: scoped,
        }),
      options.signal,
    );
    for (const raw of body.operations ?? body.batches ?? []) jobs.push(nativeJobInfo(raw));
    pageToken = body.nextPageToken || undefined;
  } while (pageToken && jobs.length < limit);
  return jobs.slice(0, limit);
}
