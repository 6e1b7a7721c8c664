/**
 * Validates a compat chat request as strictly as Gemini does and turns it into a {@link ChatJob}
 * (https://ai.google.dev/gemini-api/docs/openai).
 */
import { CACHE_NOT_FOUND, type CachedContent } from "../caches.js";
import { invalidArgument, permissionDenied } from "../errors.js";
import { invalidValue, isObject, type JsonObject, optionalObject, rejectUnknownFields } from "../fields.js";
import { bareModelName, type ModelInfo, resolveModel } from "../models.js";
import type { EmulatorState } from "../state.js";
import { estimateTokens } from "../tokens.js";
import type { ChatRequestInfo, EmulatorOptions } from "../types.js";
import { type ParsedMessage, parseMessages } from "./content.js";
import { resolveThinking, type Thinking } from "./thinking.js";

export type ServiceTier = "standard" | "flex" | "priority";

export interface ChatJob {
  model: ModelInfo;
  /** Model as sent, without `models/`. */
  modelName: string;
  stream: boolean;
  n: number;
  maxTokens?: number;
  stop: string[];
  thinking: Thinking;
  /** JSON mode: the schema to satisfy, or "object" for json_object. */
  json?: JsonObject | "object";
  serviceTier: ServiceTier;
  cache?: CachedContent;
  /** Prompt tokens including cached ones. */
  promptTokens: number;
  cachedTokens: number;
  info: ChatRequestInfo;
}

const CHAT_FIELDS = [
  "model",
  "messages",
  "stream",
  "stream_options",
  "temperature",
  "top_p",
  "n",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "presence_penalty",
  "user",
  "tools",
  "tool_choice",
  "response_format",
  "reasoning_effort",
  "service_tier",
  "extra_body",
  "modalities",
  "audio",
  "parallel_tool_calls",
];
const UNCONFIRMED_CHAT_FIELDS = [
  "seed",
  "logprobs",
  "top_logprobs",
  "frequency_penalty",
  "logit_bias",
  "metadata",
  "store",
  "google",
];
const GOOGLE_FIELDS = ["thinking_config", "cached_content"];
const VERTEX_GOOGLE_FIELDS = ["safety_settings", "thought_tag_marker", "media_resolution"];
const TIERS: Record<string, ServiceTier> = {
  flex: "flex",
  priority: "priority",
  standard: "standard",
  default: "standard",
  auto: "standard",
};
const CACHE_CONFLICT =
  "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.";

/** `extra_body.google` (or, when unconfirmed params are on, a top-level `google`). */
function googleOptions(body: JsonObject, options: EmulatorOptions): JsonObject | undefined {
  const extra = optionalObject(body, "extra_body");
  if (extra) rejectUnknownFields(extra, ["google"], { at: "extra_body" });
  const google = extra ? optionalObject(extra, "google", "extra_body.google") : optionalObject(body, "google");
  if (google) {
    const allowed = options.acceptUnconfirmedParams ? [...GOOGLE_FIELDS, ...VERTEX_GOOGLE_FIELDS] : GOOGLE_FIELDS;
    rejectUnknownFields(google, allowed, { at: "extra_body.google" });
  }
  return google;
}

function positiveInteger(body: JsonObject, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw invalidValue(name, "number", value);
  return value;
}

function stopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((item) => typeof item !== "string"))
    throw invalidValue("stop", "string", value);
  if (list.length > 5) throw invalidArgument("stop: at most 5 stop sequences are allowed.");
  return list as string[];
}

function responseFormat(value: unknown): JsonObject | "object" | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidValue("response_format", "object", value);
  switch (value.type) {
    case "text":
      return undefined;
    case "json_object":
      return "object";
    case "json_schema": {
      const schema = isObject(value.json_schema) ? value.json_schema.schema : undefined;
      if (!isObject(schema))
        throw invalidArgument("response_format.json_schema.schema is required for type json_schema.");
      return schema;
    }
    default:
      throw invalidArgument(
        `Invalid response_format type: ${JSON.stringify(value.type)}. Valid values are: json_object, json_schema, text`,
      );
  }
}

function checkTools(body: JsonObject): unknown[] | undefined {
  const tools = body.tools;
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalidValue("tools", "object", tools);
  tools.forEach((tool, i) => {
    if (
      !isObject(tool) ||
      tool.type !== "function" ||
      !isObject(tool.function) ||
      typeof tool.function.name !== "string"
    ) {
      throw invalidArgument(`Invalid value at 'tools[${i}]': expected {"type":"function","function":{"name":…}}.`);
    }
  });
  const choice = body.tool_choice;
  const validChoice =
    choice === undefined ||
    choice === null ||
    choice === "none" ||
    choice === "auto" ||
    choice === "required" ||
    (isObject(choice) &&
      choice.type === "function" &&
      isObject(choice.function) &&
      typeof choice.function.name === "string");
  if (!validChoice) throw invalidArgument(`Invalid value at 'tool_choice', ${JSON.stringify(choice)}`);
  return tools;
}

/** Gemini 3 turns replayed without the first tool call's thought_signature (refused unless the option is off). */
function checkThoughtSignatures(messages: ParsedMessage[], model: ModelInfo): void {
  messages.forEach((message, position) => {
    const first = message.toolCalls[0];
    if (message.role !== "assistant" || !first || model.generation !== 3) return;
    const extra =
      isObject(first.extra_content) && isObject(first.extra_content.google) ? first.extra_content.google : {};
    if (typeof extra.thought_signature === "string" && extra.thought_signature !== "") return;
    const name = isObject(first.function) ? String(first.function.name) : "";
    throw invalidArgument(
      "Function call is missing a thought_signature in functionCall parts. This is required for tools to work " +
        "correctly, " +
        (`and missing thought_signature may lead to degraded model performance. Additional data, function call ` +
          `\`default_api:${name}\` , `) +
        (`position ${position + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for ` +
          `more details.`),
    );
  });
}

function cacheFor(
  google: JsonObject | undefined,
  model: ModelInfo,
  messages: ParsedMessage[],
  hasTools: boolean,
  state: EmulatorState,
): CachedContent | undefined {
  const name = google?.cached_content;
  if (name === undefined || name === null) return undefined;
  if (typeof name !== "string") throw invalidValue("extra_body.google.cached_content", "string", name);
  const cache = state.caches.find(name);
  if (!cache) throw permissionDenied(CACHE_NOT_FOUND);
  if (cache.model !== model.id && (state.options.cacheModelMismatch ?? "error") === "error") {
    throw invalidArgument(
      `Model used by GenerateContent request (models/${model.id}) and CachedContent (models/${cache.model}) has to ` +
        `be the same.`,
    );
  }
  if (hasTools || messages.some((message) => message.role === "system" || message.role === "developer")) {
    throw invalidArgument(CACHE_CONFLICT);
  }
  return cache;
}

/** Validate `body` and describe the work. Batch lines pass `batch: true` (no streaming). */
export function parseChatRequest(body: JsonObject, state: EmulatorState, batch = false): ChatJob {
  const { options } = state;
  const allowed = [...CHAT_FIELDS, ...(options.extraAllowedFields?.chat ?? [])];
  if (options.acceptUnconfirmedParams) allowed.push(...UNCONFIRMED_CHAT_FIELDS);
  rejectUnknownFields(body, allowed);
  if (typeof body.model !== "string" || body.model === "") throw invalidValue("model", "string", body.model ?? null);
  const model = resolveModel(body.model, "chat", "generateContent");
  const google = googleOptions(body, options);
  const messages = parseMessages(body.messages, options);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean")
    throw invalidValue("stream", "boolean", body.stream);
  const streamOptions = optionalObject(body, "stream_options");
  if (streamOptions) rejectUnknownFields(streamOptions, ["include_usage"], { at: "stream_options" });
  const tier = body.service_tier ?? "standard";
  if (typeof tier !== "string" || !(tier in TIERS)) {
    throw invalidArgument(`Invalid service_tier: ${JSON.stringify(tier)}. Valid values are: flex, priority, standard`);
  }
  const n = positiveInteger(body, "n") ?? 1;
  if (n > 8) throw invalidArgument("n: candidate count must be between 1 and 8.");
  const maxTokens = positiveInteger(body, "max_completion_tokens") ?? positiveInteger(body, "max_tokens");
  const json = responseFormat(body.response_format);
  const tools = checkTools(body);
  if (tools && tools.length > 0 && json !== undefined && (options.toolsWithJsonMode ?? "reject") === "reject") {
    throw invalidArgument("Function calling with a response mime type: 'application/json' is unsupported");
  }
  const thinking = resolveThinking(body, google, model, options);
  const hasTools = (tools?.length ?? 0) > 0 || (body.tool_choice !== undefined && body.tool_choice !== null);
  const cache = cacheFor(google, model, messages, hasTools, state);
  if (options.requireThoughtSignatures ?? true) checkThoughtSignatures(messages, model);

  const systemTexts = messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => m.text);
  const system = [cache?.systemText ?? "", ...systemTexts].filter((text) => text !== "").join("\n\n");
  const conversation = messages.map((m) => m.text).filter((text) => text !== "");
  const uncached =
    messages.reduce((sum, m) => sum + estimateTokens(m.text) + m.mediaTokens, 0) +
    (tools ? estimateTokens(JSON.stringify(tools)) : 0);
  const cachedTokens = cache?.totalTokens ?? 0;
  const question = [...messages].reverse().find((m) => m.role === "user")?.text ?? "";
  const info: ChatRequestInfo = {
    model: model.id,
    messages: body.messages as unknown[],
    system,
    prompt: [cache?.systemText ?? "", cache?.contentsText ?? "", ...conversation]
      .filter((text) => text !== "")
      .join("\n\n"),
    question,
    ...(cache ? { cachedContent: `cachedContents/${cache.id}` } : {}),
    ...(body.response_format === undefined ? {} : { responseFormat: body.response_format }),
    ...(tools ? { tools } : {}),
    includeThoughts: thinking.includeThoughts,
    stream: !batch && body.stream === true,
    body,
  };
  return {
    model,
    modelName: bareModelName(body.model),
    stream: info.stream,
    n,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    stop: stopSequences(body.stop),
    thinking,
    ...(json === undefined ? {} : { json }),
    serviceTier: TIERS[tier]!,
    ...(cache ? { cache } : {}),
    promptTokens: uncached + cachedTokens,
    cachedTokens,
    info,
  };
}
