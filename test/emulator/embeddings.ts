/**
 * Embedding endpoints: compat `POST /embeddings` (https://ai.google.dev/gemini-api/docs/openai) and native
 * `:embedContent` / `:batchEmbedContents` (§1.5).
 */
import { badField, invalidArgument } from "./errors.js";
import { invalidValue, isObject, type JsonObject, protoField, rejectUnknownFields } from "./fields.js";
import { checkImage, EMBEDDING_IMAGE_TYPES, MAX_EMBEDDING_IMAGES } from "./images.js";
import { bareModelName, type ModelInfo, resolveModel } from "./models.js";
import { json, type Reply, type RequestContext } from "./route.js";
import { countEmbeddingTokens, truncateToTokens } from "./tokens.js";
import type { EmulatorOptions } from "./types.js";
import { type EmbedPart, embedParts, FULL_DIMENSIONS, toBase64Floats } from "./vectors.js";

export const MAX_BATCH_ITEMS = 100;
const TOO_MANY = `* BatchEmbedContentsRequest.requests: at most ${MAX_BATCH_ITEMS} requests can be in one batch`;

const TASK_TYPES = new Set([
  "TASK_TYPE_UNSPECIFIED",
  "RETRIEVAL_QUERY",
  "RETRIEVAL_DOCUMENT",
  "SEMANTIC_SIMILARITY",
  "CLASSIFICATION",
  "CLUSTERING",
  "CODE_RETRIEVAL_QUERY",
  "QUESTION_ANSWERING",
  "FACT_VERIFICATION",
]);

const INLINE_MIME_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "audio/mpeg",
  "audio/mp3",
  "audio/wav",
  "audio/x-wav",
  "video/mp4",
  "video/quicktime",
  "application/pdf",
]);

/**
 * Apply the model's input token limit: 400 for the whole request (the default, as seen from
 * Gemini), or embed the first `inputTokenLimit` tokens (Vertex's autoTruncate). `extraTokens`
 * (a native request's title, which the model reads with the text) count toward the limit too.
 */
function fitToLimit(text: string, model: ModelInfo, options: EmulatorOptions, extraTokens = 0): string {
  const refusal = options.refuseEmbeddingInput?.(text);
  if (refusal !== undefined) throw invalidArgument(refusal);
  const limit = options.inputTokenLimits?.[model.id] ?? model.inputTokenLimit;
  const tokens = countEmbeddingTokens(text) + extraTokens;
  if (tokens <= limit) return text;
  if ((options.overlongInput ?? "error") === "error") {
    throw invalidArgument(`The input token count (${tokens}) exceeds the maximum number of tokens allowed (${limit}).`);
  }
  return truncateToTokens(text, Math.max(1, limit - extraTokens));
}

function checkDimensions(value: unknown, at: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw invalidValue(at, "number", value);
  if (value < 1 || value > FULL_DIMENSIONS) {
    throw badField(`${at} must be between 1 and ${FULL_DIMENSIONS}, got ${value}.`, at);
  }
  return value;
}

/** A validated compat embeddings request, shared by the route and batch jobs. */
export interface CompatEmbedding {
  model: ModelInfo;
  /** Model as sent, without `models/`. */
  modelName: string;
  inputs: string[];
  dimensions: number;
  base64: boolean;
  tokens: number;
}

export function prepareCompatEmbedding(body: JsonObject, options: EmulatorOptions): CompatEmbedding {
  const allowed = [
    "model",
    "input",
    "encoding_format",
    "dimensions",
    ...(options.extraAllowedFields?.embeddings ?? []),
  ];
  if (options.acceptUnconfirmedParams) allowed.push("task_type", "user");
  rejectUnknownFields(body, allowed);
  if (typeof body.model !== "string" || body.model === "") throw invalidValue("model", "string", body.model ?? null);
  const model = resolveModel(body.model, "embedding", "embedContent");
  const raw = body.input;
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
    throw invalidValue("input", "string", raw ?? null);
  }
  const inputs = list as string[];
  if (inputs.length === 0) throw invalidArgument("* BatchEmbedContentsRequest.requests: requests is required");
  if (inputs.length > MAX_BATCH_ITEMS) throw invalidArgument(TOO_MANY);
  inputs.forEach((input, i) => {
    if (input.trim() === "") {
      throw invalidArgument(
        `* BatchEmbedContentsRequest.requests[${i}].content.parts[0].data: required oneof field 'data' must have ` +
          `one initialized field`,
      );
    }
  });
  const requested = checkDimensions(body.dimensions, "dimensions");
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    throw badField(
      `Invalid encoding_format: ${JSON.stringify(format)}. Valid values are: base64, float`,
      "encoding_format",
    );
  }
  const fitted = inputs.map((input) => fitToLimit(input, model, options));
  return {
    model,
    modelName: bareModelName(body.model),
    inputs: fitted,
    dimensions: (options.dimensionsHonoured ?? true) ? (requested ?? FULL_DIMENSIONS) : FULL_DIMENSIONS,
    base64: format === "base64" && (options.base64Mode ?? "honour") === "honour",
    tokens: fitted.reduce((sum, input) => sum + countEmbeddingTokens(input), 0),
  };
}

/** The OpenAI-shaped vectors for a prepared request (no `usage`, as Gemini sends none). */
export function compatEmbeddingData(
  request: CompatEmbedding,
): { object: "embedding"; index: number; embedding: number[] | string }[] {
  return request.inputs.map((input, index) => {
    const vector = embedParts([{ text: input }], request.dimensions, { model: request.model.id });
    return { object: "embedding", index, embedding: request.base64 ? toBase64Floats(vector) : vector };
  });
}

export function compatEmbeddings(context: RequestContext): Reply {
  const { options, limits } = context.state;
  const request = prepareCompatEmbedding(context.json(), options);
  limits.admit("embed", request.model.id, request.inputs.length, request.tokens);
  const model = options.echoModelPrefix ? `models/${request.modelName}` : request.modelName;
  return json({ object: "list", data: compatEmbeddingData(request), model });
}

interface NativeEmbedding {
  parts: EmbedPart[];
  dimensions: number;
  tokens: number;
  taskType?: string;
}

function nativeParts(
  content: unknown,
  at: string,
  model: ModelInfo,
  options: EmulatorOptions,
  titleTokens: number,
): { parts: EmbedPart[]; tokens: number } {
  if (!isObject(content)) throw invalidValue(at, "object", content ?? null);
  rejectUnknownFields(content, ["parts", "role"], { at, protoNames: true });
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length === 0) {
    throw invalidArgument(`* ${at}.parts: contents.parts must not be empty.`);
  }
  let tokens = 0;
  const out = parts.map((part, i): EmbedPart => {
    const partAt = `${at}.parts[${i}]`;
    if (!isObject(part)) throw invalidValue(partAt, "object", part);
    rejectUnknownFields(part, ["text", "inline_data"], { at: partAt, protoNames: true });
    if (typeof part.text === "string") {
      if (part.text.trim() === "")
        throw invalidArgument(`* ${partAt}.data: required oneof field 'data' must have one initialized field`);
      const text = fitToLimit(part.text, model, options, titleTokens);
      tokens += countEmbeddingTokens(text);
      return { text };
    }
    const inline = protoField(part, "inline_data");
    if (!isObject(inline))
      throw invalidArgument(`* ${partAt}.data: required oneof field 'data' must have one initialized field`);
    if (!model.multimodal) {
      throw invalidArgument(`Only text input is supported by models/${model.id}; ${partAt} has inline_data.`);
    }
    rejectUnknownFields(inline, ["mime_type", "data"], { at: `${partAt}.inline_data`, protoNames: true });
    const mimeType = protoField(inline, "mime_type");
    if (typeof mimeType !== "string" || !INLINE_MIME_TYPES.has(mimeType)) {
      throw invalidArgument(`Unsupported MIME type: ${String(mimeType)}`);
    }
    if (typeof inline.data !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(inline.data)) {
      throw invalidValue(`${partAt}.inline_data.data`, "string", inline.data ?? null);
    }
    const bytes = Buffer.from(inline.data, "base64");
    if (mimeType.startsWith("image/")) checkImage(mimeType, bytes, EMBEDDING_IMAGE_TYPES);
    tokens += 258;
    return { bytes, ...(mimeType.startsWith("image/") ? { image: true } : {}) };
  });
  return { parts: out, tokens };
}

function prepareNative(request: JsonObject, at: string, model: ModelInfo, options: EmulatorOptions): NativeEmbedding {
  const prefix = at === "" ? "" : `${at}.`;
  rejectUnknownFields(request, ["model", "content", "task_type", "title", "output_dimensionality"], {
    ...(at === "" ? {} : { at }),
    protoNames: true,
  });
  const taskType = protoField(request, "task_type");
  if (taskType !== undefined) {
    if (typeof taskType !== "string" || !TASK_TYPES.has(taskType)) {
      throw invalidArgument(
        `Invalid value at '${prefix}task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), ` +
          `${JSON.stringify(taskType)}`,
      );
    }
    if (model.multimodal && (options.embedding2TaskType ?? "ignore") === "error") {
      throw invalidArgument(
        `taskType is not supported by models/${model.id}. Put the task in the text instead, e.g. "task: search ` +
          `result | query: …".`,
      );
    }
  }
  const title = checkTitle(request.title, taskType, prefix, options);
  const titleTokens = title === undefined ? 0 : countEmbeddingTokens(title);
  const { parts, tokens } = nativeParts(request.content, `${prefix}content`, model, options, titleTokens);
  const dimensions =
    checkDimensions(protoField(request, "output_dimensionality"), `${prefix}output_dimensionality`) ?? FULL_DIMENSIONS;
  return {
    parts,
    dimensions,
    // The title is read with the text: it is billed and counted against the per-minute tokens too.
    tokens: tokens + titleTokens,
    ...(typeof taskType === "string" ? { taskType } : {}),
  };
}

/**
 * A title applies only to RETRIEVAL_DOCUMENT (https://ai.google.dev/api/embeddings). What the
 * service does with one under another task type is unconfirmed: 400 by default (stricter), or
 * ignored with `titleWithoutDocumentTask: "ignore"`.
 */
function checkTitle(title: unknown, taskType: unknown, prefix: string, options: EmulatorOptions): string | undefined {
  if (title === undefined || title === null) return undefined;
  if (typeof title !== "string") throw invalidValue(`${prefix}title`, "string", title);
  if (taskType !== "RETRIEVAL_DOCUMENT" && (options.titleWithoutDocumentTask ?? "error") === "error") {
    throw invalidArgument(`* ${prefix}title: title is only supported with task_type RETRIEVAL_DOCUMENT.`);
  }
  return title;
}

/** Embedding 2 takes at most 6 images per request; counted over the whole call, the stricter reading. */
function checkImageCount(requests: NativeEmbedding[]): void {
  const images = requests.reduce(
    (sum, request) => sum + request.parts.filter((part) => "image" in part && part.image).length,
    0,
  );
  if (images > MAX_EMBEDDING_IMAGES) {
    throw invalidArgument(
      `* BatchEmbedContentsRequest: at most ${MAX_EMBEDDING_IMAGES} images can be embedded in one request, got ` +
        `${images}.`,
    );
  }
}

function nativeVector(request: NativeEmbedding, model: ModelInfo): { values: number[] } {
  const options = { model: model.id, ...(request.taskType ? { taskType: request.taskType } : {}) };
  return { values: embedParts(request.parts, request.dimensions, options) };
}

/** One native EmbedContentRequest of a batch job → `{tokenCount, embedding:{values}}` (as batch output lines carry). */
export function embedForBatch(request: JsonObject, modelId: string, options: EmulatorOptions): JsonObject {
  const model = resolveModel(modelId, "embedding", "asyncBatchEmbedContent");
  const prepared = prepareNative(request, "", model, options);
  return { tokenCount: String(prepared.tokens), embedding: nativeVector(prepared, model) };
}

function pathModel(context: RequestContext, method: string): ModelInfo {
  return resolveModel(decodeURIComponent(context.params[0] ?? ""), "embedding", method);
}

/** `POST /v1beta/models/{m}:embedContent` → `{embedding:{values}}`. */
export function embedContent(context: RequestContext): Reply {
  const model = pathModel(context, "embedContent");
  const body = context.json();
  if (typeof body.model === "string" && bareModelName(body.model) !== model.id) {
    throw invalidArgument(
      `* EmbedContentRequest.model: model in the body (${body.model}) does not match models/${model.id}`,
    );
  }
  const request = prepareNative(body, "", model, context.state.options);
  checkImageCount([request]);
  context.state.limits.admit("embed", model.id, 1, request.tokens);
  return json({ embedding: nativeVector(request, model) });
}

/** `POST /v1beta/models/{m}:batchEmbedContents` → `{embeddings:[{values}]}`; each request names the path model. */
export function batchEmbedContents(context: RequestContext): Reply {
  const model = pathModel(context, "batchEmbedContents");
  const body = context.json();
  const { options } = context.state;
  rejectUnknownFields(body, ["requests"], { protoNames: true });
  const requests = body.requests;
  if (!Array.isArray(requests) || requests.length === 0)
    throw invalidArgument("* BatchEmbedContentsRequest.requests: requests is required");
  if (requests.length > MAX_BATCH_ITEMS) throw invalidArgument(TOO_MANY);
  const prepared = requests.map((request, i) => {
    const at = `requests[${i}]`;
    if (!isObject(request)) throw invalidValue(at, "object", request);
    if (typeof request.model !== "string" || !/^models\/[^/]+$/.test(request.model)) {
      throw invalidArgument(`* BatchEmbedContentsRequest.requests[${i}].model: unexpected model name format`);
    }
    if (bareModelName(request.model) !== model.id) {
      throw invalidArgument(
        `* BatchEmbedContentsRequest.requests[${i}].model: the model of every request (${request.model}) must ` +
          `match the model in the path (models/${model.id})`,
      );
    }
    return prepareNative(request, at, model, options);
  });
  checkImageCount(prepared);
  const tokens = prepared.reduce((sum, request) => sum + request.tokens, 0);
  context.state.limits.admit("embed", model.id, prepared.length, tokens);
  const reply: Record<string, unknown> = { embeddings: prepared.map((request) => nativeVector(request, model)) };
  if (options.nativeEmbedUsageMetadata) reply.usageMetadata = { promptTokenCount: tokens };
  return json(reply);
}
