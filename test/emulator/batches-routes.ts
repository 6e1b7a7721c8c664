/**
 * Compat batch routes (https://ai.google.dev/gemini-api/docs/openai): create, retrieve (also `batches/batches/<id>`
 * and,
 * optionally, `batches%2F<id>`), cancel and list. Ids carry the `batches/` prefix.
 */
import type { BatchRecord } from "./batches.js";
import { failedPrecondition, invalidArgument, notFound } from "./errors.js";
import { invalidValue, type JsonObject, optionalObject, rejectUnknownFields } from "./fields.js";
import { json, type Reply, type RequestContext } from "./route.js";
import type { EmulatorOptions } from "./types.js";

const ENDPOINTS = ["/v1/chat/completions", "/v1/embeddings"];

function batchJson(batch: BatchRecord, options: EmulatorOptions): JsonObject {
  const core: JsonObject = {
    id: `batches/${batch.id}`,
    object: "batch",
    endpoint: batch.endpoint,
    input_file_id: `files/${batch.inputFileId}`,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
  };
  if ((options.batchObjectStyle ?? "full") === "minimal") return core;
  const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.floor(ms / 1000));
  const at = (status: BatchRecord["status"]) => (batch.status === status ? seconds(batch.finishedAt) : null);
  return {
    ...core,
    errors: batch.errors.length === 0 ? null : { object: "list", data: batch.errors },
    error_file_id: null,
    created_at: seconds(batch.createdAt),
    in_progress_at: seconds(batch.createdAt),
    expires_at: seconds(batch.createdAt + 24 * 60 * 60 * 1000),
    finalizing_at: null,
    completed_at: at("completed"),
    failed_at: at("failed"),
    expired_at: at("expired"),
    cancelling_at: null,
    cancelled_at: at("cancelled"),
    request_counts: batch.counts,
    metadata: batch.metadata ?? null,
  };
}

/** The batch named in the path: `abc`, `batches/abc` or (when accepted) `batches%2Fabc`. */
function batchFromPath(context: RequestContext): BatchRecord {
  const raw = context.params[0] ?? "";
  if (/%2f/i.test(raw) && context.state.options.acceptEncodedBatchIds === false) {
    throw notFound(`Batch ${raw} not found.`);
  }
  const id = decodeURIComponent(raw).replace(/^batches\//, "");
  const batch = context.state.batches.get(id);
  if (!batch) throw notFound(`Batch batches/${id} not found.`);
  return batch;
}

export function createBatch(context: RequestContext): Reply {
  const { options, files, batches } = context.state;
  const body = context.json();
  const allowed = ["input_file_id", "endpoint", "completion_window", ...(options.extraAllowedFields?.batches ?? [])];
  if (options.acceptUnconfirmedParams) allowed.push("metadata", "output_expires_after");
  rejectUnknownFields(body, allowed);
  if (typeof body.input_file_id !== "string") throw invalidValue("input_file_id", "string", body.input_file_id ?? null);
  const inputFileId = body.input_file_id.replace(/^files\//, "");
  files.require(inputFileId);
  if (typeof body.endpoint !== "string" || !ENDPOINTS.includes(body.endpoint)) {
    throw invalidArgument(
      `Invalid endpoint: ${JSON.stringify(body.endpoint ?? null)}. Supported endpoints are: ${ENDPOINTS.join(", ")}`,
    );
  }
  if (body.completion_window !== "24h") {
    throw invalidArgument(
      `Invalid completion_window: ${JSON.stringify(body.completion_window ?? null)}. Only "24h" is supported.`,
    );
  }
  const metadata = optionalObject(body, "metadata");
  const batch = batches.create({
    kind: "compat",
    endpoint: body.endpoint,
    inputFileId,
    completionWindow: body.completion_window,
    ...(metadata ? { metadata } : {}),
  });
  return json(batchJson(batch, options));
}

export function retrieveBatch(context: RequestContext): Reply {
  return json(batchJson(batchFromPath(context), context.state.options));
}

export function cancelBatch(context: RequestContext): Reply {
  const batch = batchFromPath(context);
  if (!context.state.batches.cancel(batch)) {
    throw failedPrecondition(`Batch batches/${batch.id} is already ${batch.status} and cannot be cancelled.`);
  }
  return json(batchJson(batch, context.state.options));
}

/** `GET /batches?limit=&after=` in OpenAI's cursor-page shape, newest first. */
export function listBatches(context: RequestContext): Reply {
  const all = context.state.batches.list().filter((batch) => batch.kind === "compat");
  const after = context.query.after?.replace(/^batches\//, "");
  const start = after === undefined ? 0 : all.findIndex((batch) => batch.id === after) + 1;
  const limit = Math.min(Math.max(Number(context.query.limit) || 20, 1), 100);
  const page = all.slice(start, start + limit);
  const data = page.map((batch) => batchJson(batch, context.state.options));
  return json({
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + limit < all.length,
  });
}
