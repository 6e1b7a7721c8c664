import { describe, expect, it } from "vitest";
import { parseToolArguments } from "../../src/answer/agent-tools.js";
import { chatRequestBody } from "../../src/providers/gemini/chat.js";
import { ToolCallCollector } from "../../src/providers/gemini/tool-calls.js";

describe("ToolCallCollector", () => {
  it("takes Gemini's whole calls without index as separate calls, with their thought signatures", () => {
    const collector = new ToolCallCollector();
    collector.push([
      {
        id: "call_1",
        type: "function",
        function: { name: "search", arguments: '{"query":"a"}' },
        extra_content: { google: { thought_signature: "sig" } },
      },
      { id: "call_2", type: "function", function: { name: "read", arguments: '{"path":"b"}' } },
    ]);
    collector.push([{ id: "call_3", type: "function", function: { name: "search", arguments: '{"query":"c"}' } }]);
    expect(collector.calls).toEqual([
      { id: "call_1", name: "search", arguments: '{"query":"a"}', signature: "sig" },
      { id: "call_2", name: "read", arguments: '{"path":"b"}' },
      { id: "call_3", name: "search", arguments: '{"query":"c"}' },
    ]);
  });

  it("joins OpenAI-style pieces that share an index", () => {
    const collector = new ToolCallCollector();
    collector.push([{ index: 0, id: "a", type: "function", function: { name: "search", arguments: '{"qu' } }]);
    collector.push([{ index: 1, id: "b", type: "function", function: { name: "read", arguments: "" } }]);
    collector.push([{ index: 0, function: { arguments: 'ery":"x"}' } }]);
    collector.push([{ index: 1, function: { arguments: '{"path":"y"}' } }]);
    expect(collector.calls).toEqual([
      { id: "a", name: "search", arguments: '{"query":"x"}' },
      { id: "b", name: "read", arguments: '{"path":"y"}' },
    ]);
  });
});

describe("chatRequestBody with tools", () => {
  it("sends tools, tool_choice, replayed calls with their signatures, and tool results", () => {
    const body = chatRequestBody("gemini-3-flash-preview", {
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "c1", name: "search", arguments: '{"query":"q"}', signature: "s1" }],
        },
        { role: "tool", toolCallId: "c1", content: "result" },
      ],
      tools: [{ name: "search", description: "d", parameters: { type: "object" } }],
      toolChoice: "none",
    });
    expect(body.tools).toEqual([
      { type: "function", function: { name: "search", description: "d", parameters: { type: "object" } } },
    ]);
    expect(body.tool_choice).toBe("none");
    expect(body.messages).toEqual([
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: { name: "search", arguments: '{"query":"q"}' },
            extra_content: { google: { thought_signature: "s1" } },
          },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "result" },
    ]);
  });
});

describe("parseToolArguments", () => {
  it("reads a JSON object, and says what is wrong otherwise", () => {
    const call = (text: string) => ({ id: "", name: "search", arguments: text });
    expect(parseToolArguments(call('{"query":"x"}'))).toEqual({ arguments: { query: "x" } });
    expect(parseToolArguments(call(""))).toEqual({ arguments: {} });
    expect(parseToolArguments(call("[1]")).error).toBe("the arguments must be a JSON object");
    expect(parseToolArguments(call("{query:")).error).toMatch(/^the arguments are not valid JSON/);
  });
});
