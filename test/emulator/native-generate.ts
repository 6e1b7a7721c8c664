/**
 * Native `POST /v1beta/models/{m}:generateContent`, used directly and by native batch jobs. The
 * request is translated to the compat shape and answered by the same chat engine, then rendered
 * as a GenerateContentResponse (candidates, usageMetadata, modelVersion, responseId).
 */

import { type ChatReply, generateReply } from "./chat/reply.js";
import { type ChatJob, parseChatRequest } from "./chat/request.js";
import { invalidArgument } from "./errors.js";
import { invalidValue, isObject, type JsonObject, protoField, rejectUnknownFields } from "./fields.js";
import { isTextMime } from "./files.js";
import { bareModelName } from "./models.js";
import { json, type Reply, type RequestContext } from "./route.js";
import type { EmulatorState } from "./state.js";

const REQUEST_FIELDS = [
  "model",
  "contents",
  "system_instruction",
  "generation_config",
  "tools",
  "tool_config",
  "safety_settings",
  "cached_content",
];
const GENERATION_FIELDS = [
  "max_output_tokens",
  "temperature",
  "top_p",
  "top_k",
  "candidate_count",
  "stop_sequences",
  "response_mime_type",
  "response_schema",
  "response_json_schema",
  "thinking_config",
  "presence_penalty",
  "frequency_penalty",
  "seed",
];

/** Native parts → compat content parts (files are inlined: text files as text, others as data URIs). */
function compatParts(content: unknown, at: string, state: EmulatorState): JsonObject[] {
  if (!isObject(content)) throw invalidValue(at, "object", content ?? null);
  rejectUnknownFields(content, ["role", "parts"], { at, protoNames: true });
  const parts = Array.isArray(content.parts) ? content.parts : [];
  return parts.map((part, i): JsonObject => {
    const partAt = `${at}.parts[${i}]`;
    if (!isObject(part)) throw invalidValue(partAt, "object", part);
    rejectUnknownFields(
      part,
      ["text", "inline_data", "file_data", "thought", "thought_signature", "function_call", "function_response"],
      {
        at: partAt,
        protoNames: true,
      },
    );
    if (typeof part.text === "string") return { type: "text", text: part.text };
    const inline = protoField(part, "inline_data");
    const fileData = protoField(part, "file_data");
    let mimeType: string;
    let data: Buffer;
    if (isObject(inline)) {
      mimeType = String(protoField(inline, "mime_type") ?? "");
      data = Buffer.from(String(inline.data ?? ""), "base64");
    } else if (isObject(fileData)) {
      const file = state.files.require(String(protoField(fileData, "file_uri") ?? ""));
      mimeType = file.mimeType;
      data = file.bytes;
    } else {
      const call = protoField(part, "function_call") ?? protoField(part, "function_response");
      return { type: "text", text: JSON.stringify(call ?? {}) };
    }
    if (isTextMime(mimeType)) return { type: "text", text: data.toString("utf8") };
    if (mimeType.startsWith("audio/"))
      return {
        type: "input_audio",
        input_audio: { data: data.toString("base64"), format: mimeType.includes("mp") ? "mp3" : "wav" },
      };
    // Images go through the chat image checks (types, bytes); PDFs and video (documented natively) are read as-is.
    if (mimeType.startsWith("image/"))
      return { type: "image_url", image_url: { url: `data:${mimeType};base64,${data.toString("base64")}` } };
    return { type: "text", text: `[${mimeType} attachment, ${data.length} bytes]` };
  });
}

function thinkingConfig(config: unknown): JsonObject | undefined {
  if (!isObject(config)) return undefined;
  rejectUnknownFields(config, ["thinking_budget", "thinking_level", "include_thoughts"], {
    at: "generation_config.thinking_config",
    protoNames: true,
  });
  const out: JsonObject = {};
  for (const name of ["thinking_budget", "thinking_level", "include_thoughts"]) {
    const value = protoField(config, name);
    if (value !== undefined) out[name] = typeof value === "string" ? value.toLowerCase() : value;
  }
  return out;
}

/** A native GenerateContentRequest as the equivalent compat chat body. */
export function toCompatBody(request: JsonObject, model: string, state: EmulatorState): JsonObject {
  rejectUnknownFields(request, REQUEST_FIELDS, { protoNames: true });
  const messages: JsonObject[] = [];
  const system = protoField(request, "system_instruction");
  if (system !== undefined)
    messages.push({ role: "system", content: compatParts(system, "system_instruction", state) });
  const contents = Array.isArray(request.contents) ? request.contents : [];
  if (contents.length === 0 && protoField(request, "cached_content") === undefined) {
    throw invalidArgument("* GenerateContentRequest.contents: contents is not specified");
  }
  contents.forEach((content, i) => {
    const role = isObject(content) && content.role === "model" ? "assistant" : "user";
    messages.push({ role, content: compatParts(content, `contents[${i}]`, state) });
  });
  const body: JsonObject = { model, messages };
  const config = protoField(request, "generation_config");
  if (isObject(config)) {
    rejectUnknownFields(config, GENERATION_FIELDS, { at: "generation_config", protoNames: true });
    const max = protoField(config, "max_output_tokens");
    if (max !== undefined) body.max_tokens = max;
    const stop = protoField(config, "stop_sequences");
    if (stop !== undefined) body.stop = stop;
    const count = protoField(config, "candidate_count");
    if (count !== undefined) body.n = count;
    const schema = protoField(config, "response_json_schema") ?? protoField(config, "response_schema");
    if (protoField(config, "response_mime_type") === "application/json") {
      body.response_format = isObject(schema)
        ? { type: "json_schema", json_schema: { name: "response", schema } }
        : { type: "json_object" };
    }
    const thinking = thinkingConfig(protoField(config, "thinking_config"));
    if (thinking) body.extra_body = { google: { thinking_config: thinking } };
  }
  const tools = Array.isArray(request.tools) ? request.tools : [];
  const declarations = tools.flatMap((tool) =>
    isObject(tool) && Array.isArray(protoField(tool, "function_declarations"))
      ? (protoField(tool, "function_declarations") as unknown[])
      : [],
  );
  if (declarations.length > 0)
    body.tools = declarations.map((declaration) => ({ type: "function", function: declaration }));
  if (tools.length > 0 && declarations.length === 0)
    body.tools = [{ type: "function", function: { name: "builtin_tool" } }];
  const toolConfig = protoField(request, "tool_config");
  if (isObject(toolConfig)) {
    const mode = (protoField(toolConfig, "function_calling_config") as JsonObject | undefined)?.mode;
    body.tool_choice = mode === "ANY" ? "required" : mode === "NONE" ? "none" : "auto";
  }
  const cached = protoField(request, "cached_content");
  if (cached !== undefined)
    body.extra_body = {
      google: { ...((body.extra_body as JsonObject | undefined)?.google as JsonObject), cached_content: cached },
    };
  return body;
}

/** A ChatReply as a GenerateContentResponse. */
export function toNativeResponse(reply: ChatReply, candidates: number): JsonObject {
  const parts: JsonObject[] = [];
  if (reply.summary !== undefined) parts.push({ text: reply.summary, thought: true });
  if (reply.text !== "" || reply.toolCalls.length === 0) parts.push({ text: reply.text });
  for (const call of reply.toolCalls) {
    const signature = call.extra_content?.google.thought_signature;
    parts.push({
      functionCall: { name: call.function.name, args: JSON.parse(call.function.arguments) as unknown },
      ...(signature ? { thoughtSignature: signature } : {}),
    });
  }
  const usage: JsonObject = {
    promptTokenCount: reply.usage.prompt,
    candidatesTokenCount: reply.usage.completion,
    totalTokenCount: reply.usage.prompt + reply.usage.completion + reply.usage.thinking,
  };
  if (reply.usage.thinking > 0) usage.thoughtsTokenCount = reply.usage.thinking;
  if (reply.usage.cached > 0) usage.cachedContentTokenCount = reply.usage.cached;
  return {
    candidates: Array.from({ length: candidates }, (_, index) => ({
      content: { parts, role: "model" },
      finishReason: reply.finishReason === "length" ? "MAX_TOKENS" : "STOP",
      index,
    })),
    usageMetadata: usage,
    modelVersion: bareModelName(reply.model),
    responseId: reply.id,
  };
}

/** Validates a native request and describes the work (quota not yet counted). */
export function prepareGenerateContent(request: JsonObject, model: string, state: EmulatorState): ChatJob {
  return parseChatRequest(toCompatBody(request, model, state), state, true);
}

/** The GenerateContentResponse for a prepared request. */
export function renderGenerateContent(job: ChatJob, state: EmulatorState): JsonObject {
  const reply = generateReply(job, { ...state.options, echoModelPrefix: false }, state.clock);
  return toNativeResponse(reply, job.n);
}

export function generateContent(context: RequestContext): Reply {
  const { state } = context;
  const job = prepareGenerateContent(context.json(), decodeURIComponent(context.params[0] ?? ""), state);
  state.limits.admit("generate", job.model.id, 1, job.promptTokens);
  return json(renderGenerateContent(job, state));
}
