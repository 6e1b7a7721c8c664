import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { ConfigError, StreamInterruptedError } from "../../errors.js";
import type { ChatModel, ChatRequest, ChatStreamEvent, ChatUsage } from "../types.js";
import { type GeminiClient, linkSignal } from "./client.js";
import { ThoughtSplitter } from "./thought-splitter.js";
import { ToolCallCollector, toWireMessage, toWireTools } from "./tool-calls.js";

export const defaultChatModel = "gemini-3-flash-preview";

export interface GeminiChatOptions {
  /** @default "gemini-3-flash-preview" */
  model?: string;
}

interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/**
 * Reads Gemini's compat usage, where `total_tokens` includes thinking tokens
 * (https://ai.google.dev/gemini-api/docs/openai).
 */
export function readUsage(raw: RawUsage): ChatUsage {
  const promptTokens = raw.prompt_tokens ?? 0;
  const outputTokens = raw.completion_tokens ?? 0;
  const totalTokens = raw.total_tokens ?? promptTokens + outputTokens;
  const thinkingTokens =
    raw.completion_tokens_details?.reasoning_tokens ?? Math.max(0, totalTokens - promptTokens - outputTokens);
  return {
    promptTokens,
    outputTokens,
    thinkingTokens,
    cachedTokens: raw.prompt_tokens_details?.cached_tokens ?? 0,
    totalTokens,
  };
}

/**
 * What `reasoning_effort` means inside `thinking_config` (https://ai.google.dev/gemini-api/docs/openai): a thinking
 * level on
 * Gemini 3 (Pro has no minimal or medium), a token budget on Gemini 2.5.
 */
export function thinkingForEffort(
  model: string,
  effort: NonNullable<ChatRequest["reasoningEffort"]>,
): Record<string, unknown> {
  const name = model.replace(/^models\//, "");
  if (/^gemini-3/.test(name)) {
    const pro = /pro/.test(name);
    const level = {
      minimal: pro ? "low" : "minimal",
      low: "low",
      medium: pro ? "high" : "medium",
      high: "high",
      none: pro ? "low" : "minimal",
    }[effort];
    return { thinking_level: level };
  }
  return { thinking_budget: { minimal: 1024, low: 1024, medium: 8192, high: 24576, none: 0 }[effort] };
}

/**
 * Maps a reasoning effort to one the model takes, or refuses it
 * (https://ai.google.dev/gemini-api/docs/openai#thinking):
 * Gemini 3 and 2.5 Pro cannot stop thinking ("none" is a 400 there); Gemini 2.5 has no
 * "minimal", whose budget (1,024 tokens) is what "low" gives. Other models pass unchanged.
 */
export function mapReasoningEffort(
  model: string,
  effort: NonNullable<ChatRequest["reasoningEffort"]>,
): NonNullable<ChatRequest["reasoningEffort"]> {
  const name = model.replace(/^models\//, "");
  const family = /^gemini-3/.test(name) ? "Gemini 3" : /^gemini-2\.5-pro/.test(name) ? "Gemini 2.5 Pro" : undefined;
  if (effort === "none" && family) {
    throw new ConfigError(
      `Reasoning effort "none" is not available for ${name}: ${family} models always think. Use ` +
        `"${family === "Gemini 3" ? "minimal" : "low"}" for the least thinking.`,
      { data: { model: name, reasoningEffort: effort } },
    );
  }
  if (effort === "minimal" && /^gemini-2\.5/.test(name)) return "low";
  return effort;
}

/** Builds the compat request body, Gemini-only options under the literal `extra_body.google` key. */
export function chatRequestBody(model: string, request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model ?? model,
    messages: request.messages.map(toWireMessage),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.maxOutputTokens !== undefined) body.max_completion_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.serviceTier !== undefined) body.service_tier = request.serviceTier;
  if (request.jsonSchema) {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: true },
    };
  }
  if (request.tools?.length) {
    body.tools = toWireTools(request.tools);
    if (request.toolChoice !== undefined) body.tool_choice = request.toolChoice;
  }
  const google: Record<string, unknown> = {};
  if (request.thinkingBudget !== undefined || request.includeThoughts) {
    const thinking: Record<string, unknown> = {};
    if (request.thinkingBudget !== undefined) thinking.thinking_budget = request.thinkingBudget;
    // reasoning_effort and thinking_config cannot be combined (a 400): the effort moves inside.
    else if (request.reasoningEffort !== undefined)
      Object.assign(thinking, thinkingForEffort(String(body.model), request.reasoningEffort));
    if (request.includeThoughts) thinking.include_thoughts = true;
    google.thinking_config = thinking;
  } else if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  if (request.cachedContent) google.cached_content = request.cachedContent;
  if (Object.keys(google).length > 0) body.extra_body = { google };
  return body;
}

/**
 * Streamed Gemini chat through the compat endpoint. Usage arrives on every chunk as running
 * totals, so the last one wins; the SDK's stream accumulator is not used (Gemini omits
 * `tool_calls[].index`). Only opening the stream is retried: once it is open, a dropped connection,
 * an SSE error event or an end without a finish reason throws StreamInterruptedError (the caller
 * decides whether a retry is safe, i.e. whether anything was shown).
 */
export function createGeminiChat(client: GeminiClient, options: GeminiChatOptions = {}): ChatModel {
  const model = options.model ?? defaultChatModel;
  return {
    model,
    prepare(request: ChatRequest): ChatRequest {
      if (request.reasoningEffort === undefined) return request;
      return { ...request, reasoningEffort: mapReasoningEffort(request.model ?? model, request.reasoningEffort) };
    },
    async *stream(request: ChatRequest, callOptions: { signal?: AbortSignal } = {}): AsyncGenerator<ChatStreamEvent> {
      // One link to the caller's signal for the whole stream, cut when it ends (see GeminiClient.call).
      const link = linkSignal(callOptions.signal);
      const { signal } = link;
      try {
        const body = chatRequestBody(model, request);
        const stream = await client.call(
          "chat",
          // The stream outlives this call, so it gets the stream's own link, not a per-attempt one.
          () =>
            client.openai.chat.completions.create(
              body as unknown as Parameters<typeof client.openai.chat.completions.create>[0] & { stream: true },
              { signal },
            ),
          signal,
        );
        const splitter = new ThoughtSplitter();
        const toolCalls = new ToolCallCollector();
        let usage: ChatUsage | undefined;
        let finish: string | undefined;
        try {
          for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
            if (chunk.usage) usage = readUsage(chunk.usage as RawUsage);
            for (const choice of chunk.choices ?? []) {
              const delta = choice.delta as
                | { content?: string | null; tool_calls?: unknown; extra_content?: { google?: { thought?: boolean } } }
                | undefined;
              toolCalls.push(delta?.tool_calls);
              const content = delta?.content ?? "";
              if (content) {
                if (delta?.extra_content?.google?.thought)
                  yield { type: "thought", text: content.replace(/<\/?thought>/g, "") };
                else
                  for (const piece of splitter.push(content))
                    yield piece.thought
                      ? { type: "thought", text: piece.text }
                      : { type: "text-delta", text: piece.text };
              }
              if (choice.finish_reason) finish = choice.finish_reason;
            }
          }
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          throw client.streamError("chat", error);
        }
        // openai-node ends an aborted stream quietly: a reply cut short must not look finished.
        if (signal?.aborted) throw signal.reason;
        for (const piece of splitter.end())
          yield piece.thought ? { type: "thought", text: piece.text } : { type: "text-delta", text: piece.text };
        if (toolCalls.calls.length > 0) yield { type: "tool-calls", calls: toolCalls.calls };
        if (usage) yield { type: "usage", usage };
        // Gemini sends a finish reason on the last chunk; a stream that ends without one was cut
        // (a proxy, a load balancer), however cleanly it closed.
        if (finish === undefined)
          throw new StreamInterruptedError(
            "The chat stream ended without a finish reason: the answer was cut short before the model finished.",
            { operation: "chat" },
          );
        yield { type: "finish", reason: finish };
      } finally {
        link.dispose();
      }
    },
  };
}
