import type { ChatMessage, ChatTool, ChatToolCall } from "../types.js";

/** A tool call as it appears in a compat stream delta (Gemini's or OpenAI's shape). */
interface WireToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
  extra_content?: { google?: { thought_signature?: string } };
}

/**
 * Collects the function calls of a streamed reply. Gemini sends each call whole in one chunk
 * and without `tool_calls[].index` (https://github.com/sst/opencode/issues/17902), so a call
 * without an index is a new call; OpenAI-style servers send a call in pieces that share an
 * index, so pieces with a known index are appended to that call.
 */
export class ToolCallCollector {
  readonly #calls: ChatToolCall[] = [];
  readonly #byIndex = new Map<number, ChatToolCall>();

  push(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    for (const delta of deltas as WireToolCallDelta[]) {
      const known = delta.index === undefined ? undefined : this.#byIndex.get(delta.index);
      if (known) {
        known.arguments += delta.function?.arguments ?? "";
        if (delta.function?.name) known.name = delta.function.name;
        if (delta.id) known.id = delta.id;
        const signature = delta.extra_content?.google?.thought_signature;
        if (signature) known.signature = signature;
        continue;
      }
      const call: ChatToolCall = {
        id: delta.id ?? "",
        name: delta.function?.name ?? "",
        arguments: delta.function?.arguments ?? "",
      };
      const signature = delta.extra_content?.google?.thought_signature;
      if (signature) call.signature = signature;
      this.#calls.push(call);
      if (delta.index !== undefined) this.#byIndex.set(delta.index, call);
    }
  }

  /** The calls in the order the model made them. */
  get calls(): ChatToolCall[] {
    return this.#calls;
  }
}

/** A message in the compat wire format; assistant tool calls carry their thought signatures back. */
export function toWireMessage(message: ChatMessage): Record<string, unknown> {
  if (message.role === "tool") return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  if (message.role === "assistant" && message.toolCalls?.length) {
    return {
      role: "assistant",
      // Gemini refuses an empty text part: a turn that only calls functions has no content.
      content: message.content === "" ? null : message.content,
      tool_calls: message.toolCalls.map((call) => ({
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
        ...(call.signature === undefined ? {} : { extra_content: { google: { thought_signature: call.signature } } }),
      })),
    };
  }
  return { role: message.role, content: message.content };
}

/** Tools in the compat wire format. */
export function toWireTools(tools: ChatTool[]): Array<Record<string, unknown>> {
  return tools.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}
