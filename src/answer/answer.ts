import { ConfigError } from "../errors.js";
import type { ChatModel, ChatUsage } from "../providers/types.js";
import { retrieve, type RetrieveContext } from "../retrieval/retrieve.js";
import { buildMessages } from "./prompt.js";
import type { AnswerEvent, AnswerOptions } from "./types.js";

export interface AnswerContext extends RetrieveContext {
  chat: ChatModel;
}

/**
 * Answers a question from the index as a stream of events: `sources` first (the numbered hits
 * the answer cites), then `thought` and `text-delta` events as the model streams, `usage`, and
 * `done` with the whole text. Abort with `options.signal`; the HTTP stream stops with it.
 */
export async function* answer(question: string, context: AnswerContext, options: AnswerOptions = {}): AsyncGenerator<AnswerEvent> {
  if (!question.trim()) throw new ConfigError("The question is empty.");
  if (options.reasoningEffort !== undefined && options.thinkingBudget !== undefined) {
    throw new ConfigError("Use --reasoning-effort or --thinking-budget, not both (Gemini rejects the combination).");
  }
  const result = await retrieve(question, context, options);
  yield { type: "sources", hits: result.hits, mode: result.mode, notices: result.notices };

  let text = "";
  let usage: ChatUsage | undefined;
  let finishReason = "stop";
  const stream = context.chat.stream(
    {
      messages: buildMessages(question, result.hits),
      model: options.model,
      reasoningEffort: options.reasoningEffort,
      thinkingBudget: options.thinkingBudget,
      includeThoughts: options.thoughts,
      serviceTier: options.serviceTier,
      maxOutputTokens: options.maxOutputTokens,
    },
    { signal: options.signal },
  );
  for await (const event of stream) {
    if (event.type === "text-delta") {
      text += event.text;
      yield event;
    } else if (event.type === "thought") {
      if (options.thoughts) yield event;
    } else if (event.type === "usage") {
      usage = event.usage;
      yield event;
    } else finishReason = event.reason;
  }
  yield { type: "done", text, usage, finishReason };
}
