/**
 * Native batch routes (https://ai.google.dev/gemini-api/docs/batch-mode): `:batchGenerateContent` and
 * `:asyncBatchEmbedContent`
 * create a long-running operation `batches/<id>`; `GET /v1beta/batches/{id}` polls it,
 * `:cancel` cancels, `DELETE` forgets it, `GET /v1beta/batches` lists operations.
 * States are `BATCH_STATE_*` on the wire (the SDKs rename them JOB_STATE_*). The exact inline
 * output wrappers (`inlinedResponses.inlinedResponses`, `inlinedEmbedContentResponses`) are UNCONFIRMED.
 */
import type { BatchRecord } from "./batches.js";
import type { Clock } from "./clock.js";
import { failedPrecondition, invalidArgument, notFound } from "./errors.js";
import { isObject, type JsonObject, protoField, rejectUnknownFields } from "./fields.js";
import { resolveModel } from "./models.js";
import { json, type Reply, type RequestContext } from "./route.js";

const TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1main.";
const STATES: Record<BatchRecord["status"], string> = {
  in_progress: "BATCH_STATE_RUNNING",
  completed: "BATCH_STATE_SUCCEEDED",
  failed: "BATCH_STATE_FAILED",
  cancelled: "BATCH_STATE_CANCELLED",
  expired: "BATCH_STATE_EXPIRED",
};

function output(batch: BatchRecord): JsonObject | undefined {
  if (batch.status !== "completed") return undefined;
  if (batch.outputFileId) return { responsesFile: batch.outputFileId };
  const inlined = { inlinedResponses: batch.inlineResponses ?? [] };
  return batch.kind === "embed" ? { inlinedEmbedContentResponses: inlined } : { inlinedResponses: inlined };
}

function operationJson(batch: BatchRecord, clock: Clock, justCreated = false): JsonObject {
  const kind = batch.kind === "embed" ? "EmbedContentBatch" : "GenerateContentBatch";
  const result = output(batch);
  const pending = batch.status === "in_progress" ? batch.counts.total : 0;
  const metadata: JsonObject = {
    "@type": `${TYPE_PREFIX}${kind}`,
    ...(batch.model ? { model: `models/${batch.model}` } : {}),
    ...(batch.displayName ? { displayName: batch.displayName } : {}),
    ...(batch.inputFileId ? { inputConfig: { fileName: `files/${batch.inputFileId}` } } : {}),
    createTime: clock.iso(batch.createdAt),
    updateTime: clock.iso(batch.finishedAt ?? batch.createdAt),
    batchStats: {
      requestCount: String(batch.counts.total),
      ...(pending > 0 ? { pendingRequestCount: String(pending) } : {}),
      ...(batch.counts.completed > 0 ? { successfulRequestCount: String(batch.counts.completed) } : {}),
      ...(batch.counts.failed > 0 ? { failedRequestCount: String(batch.counts.failed) } : {}),
    },
    state: justCreated ? "BATCH_STATE_PENDING" : STATES[batch.status],
    name: `batches/${batch.id}`,
    ...(result ? { output: result } : {}),
  };
  const done = batch.status !== "in_progress";
  return {
    name: `batches/${batch.id}`,
    metadata,
    done,
    ...(result ? { response: { "@type": `${TYPE_PREFIX}${kind}Output`, ...result } } : {}),
    ...(done && !result
      ? {
          error: {
            code: batch.status === "cancelled" ? 1 : 13,
            message: batch.errors[0]?.message ?? `Batch ${batch.status}.`,
          },
        }
      : {}),
  };
}

function createNative(context: RequestContext, kind: "generate" | "embed"): Reply {
  const { files, batches, clock } = context.state;
  const model = resolveModel(
    decodeURIComponent(context.params[0] ?? ""),
    kind === "embed" ? "embedding" : "chat",
    kind === "embed" ? "asyncBatchEmbedContent" : "batchGenerateContent",
  );
  const body = context.json();
  rejectUnknownFields(body, ["batch"], { protoNames: true });
  const spec = body.batch;
  if (!isObject(spec)) throw invalidArgument("* batch: batch is required");
  rejectUnknownFields(spec, ["model", "display_name", "input_config", "priority"], { at: "batch", protoNames: true });
  const input = protoField(spec, "input_config");
  if (!isObject(input)) throw invalidArgument("* batch.input_config: input_config is required");
  rejectUnknownFields(input, ["file_name", "requests"], { at: "batch.input_config", protoNames: true });
  const fileName = protoField(input, "file_name");
  const inline = isObject(input.requests) ? input.requests.requests : undefined;
  const displayName = protoField(spec, "display_name");
  const common = { kind, model: model.id, ...(typeof displayName === "string" ? { displayName } : {}) };
  let batch: BatchRecord;
  if (typeof fileName === "string") {
    const inputFileId = fileName.replace(/^files\//, "");
    files.require(inputFileId);
    batch = batches.create({ ...common, inputFileId });
  } else if (Array.isArray(inline) && inline.length > 0) {
    batch = batches.create({ ...common, inlineRequests: inline.filter(isObject) });
    batch.counts.total = inline.length;
  } else {
    throw invalidArgument("* batch.input_config: either file_name or requests.requests must be set");
  }
  return json(operationJson(batch, clock, true));
}

export const batchGenerateContent = (context: RequestContext): Reply => createNative(context, "generate");
export const asyncBatchEmbedContent = (context: RequestContext): Reply => createNative(context, "embed");

function batchFromPath(context: RequestContext): BatchRecord {
  const id = decodeURIComponent(context.params[0] ?? "");
  const batch = context.state.batches.get(id);
  if (!batch) throw notFound(`Batch batches/${id} not found.`);
  return batch;
}

export function getNativeBatch(context: RequestContext): Reply {
  return json(operationJson(batchFromPath(context), context.state.clock));
}

export function cancelNativeBatch(context: RequestContext): Reply {
  const batch = batchFromPath(context);
  if (!context.state.batches.cancel(batch)) throw failedPrecondition(`Batch batches/${batch.id} is already finished.`);
  return json({});
}

export function deleteNativeBatch(context: RequestContext): Reply {
  context.state.batches.delete(batchFromPath(context).id);
  return json({});
}

/** `GET /v1beta/batches` → `{operations:[…]}` (native batches only), `{}` when none. */
export function listNativeBatches(context: RequestContext): Reply {
  // Compat jobs are native batches underneath: the native list has them too (same names).
  const operations = context.state.batches.list().map((batch) => operationJson(batch, context.state.clock));
  return json(operations.length === 0 ? {} : { operations });
}
