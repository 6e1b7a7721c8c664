/**
 * Produces the model's reply for a {@link ChatJob} and renders it as a compat `chat.completion`
 * (https://ai.google.dev/gemini-api/docs/openai): Gemini-style `id`, no system_fingerprint, `total_tokens` including
 * thinking.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";
import type { Clock } from "../clock.js";
import { isObject, type JsonObject } from "../fields.js";
import { estimateTokens } from "../tokens.js";
import type { EmulatorOptions } from "../types.js";
import { sampleFromSchema } from "./json-schema.js";
import type { ChatJob } from "./request.js";
import { defaultChatResponder, defaultToolResponder, thoughtSummary } from "./responder.js";

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

export interface ChatReply {
  id: string;
  created: number;
  /** Model as echoed. */
  model: string;
  text: string;
  /** Thought summary as it appears in compat `content` (wrapped in tags when `thoughtTags` is "tags"). */
  thought?: string;
  /** The bare thought summary (native replies send it as a `thought: true` part). */
  summary?: string;
  toolCalls: ToolCall[];
  finishReason: "stop" | "length" | "tool_calls";
  /** Signature for the final stream chunk / first tool call on Gemini 3. */
  thoughtSignature?: string;
  usage: { prompt: number; completion: number; thinking: number; cached: number };
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A Gemini responseId such as `okvAaJuhOdSFjrEP3rDF2QI` — never `chatcmpl-…`. */
export function responseId(): string {
  return Array.from(randomBytes(23), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
}

function signature(seed: string): string {
  return createHash("sha256").update(`thought:${seed}`).digest("base64");
}

function answerText(job: ChatJob, options: EmulatorOptions): string {
  if (options.chatResponder) return options.chatResponder(job.info);
  const text = defaultChatResponder(job.info);
  if (job.json === "object") return JSON.stringify({ answer: text });
  if (job.json !== undefined) return JSON.stringify(sampleFromSchema(job.json, text));
  return text;
}

export function generateReply(job: ChatJob, options: EmulatorOptions, clock: Clock): ChatReply {
  const id = responseId();
  const gemini3 = job.model.generation === 3;
  const calls = (options.toolResponder ?? defaultToolResponder)(job.info) ?? [];
  const toolCalls: ToolCall[] = calls.map((call, i) => ({
    id: (options.toolCallIds ?? "call") === "empty" ? "" : `call_${randomInt(100_000, 1_000_000)}`,
    type: "function",
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    // Only the first of parallel calls carries a signature (thought-signatures doc).
    ...(gemini3 && i === 0 ? { extra_content: { google: { thought_signature: signature(`${id}:${i}`) } } } : {}),
  }));

  let text = toolCalls.length > 0 ? "" : answerText(job, options);
  let finishReason: ChatReply["finishReason"] =
    toolCalls.length > 0 ? (options.toolCallFinishReason ?? "stop") : "stop";
  for (const stop of job.stop) {
    const at = text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  if (job.maxTokens !== undefined && estimateTokens(text) > job.maxTokens) {
    text = text.slice(0, job.maxTokens * 4);
    finishReason = "length";
  }

  const summary = job.thinking.includeThoughts ? thoughtSummary(job.info) : undefined;
  const thought =
    summary === undefined
      ? undefined
      : (options.thoughtTags ?? "tags") === "tags"
        ? `<thought>${summary}</thought>`
        : `${summary}\n\n`;
  const completion =
    estimateTokens(text) +
    toolCalls.reduce((sum, call) => sum + estimateTokens(call.function.name + call.function.arguments), 0);
  const thinking = job.thinking.enabled
    ? Math.min(job.thinking.budget, 64 + 2 * completion + (summary ? estimateTokens(summary) : 0))
    : 0;
  const signatureMode = options.streamThoughtSignature ?? "gemini-3";
  const wantsSignature = signatureMode === "always" || (signatureMode === "gemini-3" && gemini3);
  return {
    id,
    created: clock.seconds(),
    model: options.echoModelPrefix ? `models/${job.modelName}` : job.modelName,
    text,
    ...(thought === undefined ? {} : { thought }),
    ...(summary === undefined ? {} : { summary }),
    toolCalls,
    finishReason,
    ...(wantsSignature ? { thoughtSignature: signature(id) } : {}),
    usage: { prompt: job.promptTokens, completion, thinking, cached: job.cachedTokens },
  };
}

/** The compat `usage` object for (part of) a reply. */
export function usageJson(
  usage: ChatReply["usage"],
  options: EmulatorOptions,
  completion = usage.completion,
): JsonObject {
  const body: JsonObject = {
    completion_tokens: completion,
    prompt_tokens: usage.prompt,
    total_tokens: usage.prompt + completion + usage.thinking,
  };
  if (usage.cached > 0 && (options.reportCachedTokens ?? true))
    body.prompt_tokens_details = { cached_tokens: usage.cached };
  if (options.reasoningTokensDetail && usage.thinking > 0)
    body.completion_tokens_details = { reasoning_tokens: usage.thinking };
  return body;
}

/** Non-streaming `chat.completion`; `n` choices share the same answer. */
export function completionJson(reply: ChatReply, job: ChatJob, options: EmulatorOptions): JsonObject {
  const content = (reply.thought ?? "") + reply.text;
  const message: JsonObject = {
    role: "assistant",
    content: content === "" && reply.toolCalls.length > 0 ? null : content,
  };
  if (reply.toolCalls.length > 0) message.tool_calls = reply.toolCalls;
  return {
    choices: Array.from({ length: job.n }, (_, index) => ({ finish_reason: reply.finishReason, index, message })),
    created: reply.created,
    id: reply.id,
    model: reply.model,
    object: "chat.completion",
    usage: usageJson(reply.usage, options),
  };
}

function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Batch output bodies use camelCase keys, `created` as a string and no `index`
 * (https://ai.google.dev/gemini-api/docs/openai).
 */
export function toBatchBody(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((item) => toBatchBody(item, false));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === "index") continue;
    if (top && key === "created") out.created = String(item);
    else out[camelKey(key)] = key === "arguments" ? item : toBatchBody(item, false);
  }
  return out;
}
