import { describe, expect, it } from "vitest";
import { chatRequestBody, readUsage, thinkingForEffort } from "../../src/providers/gemini/chat.js";

describe("chatRequestBody", () => {
  const messages = [{ role: "user" as const, content: "hi" }];

  it("puts Gemini-only options under a literal extra_body.google key", () => {
    const body = chatRequestBody("gemini-2.5-flash", {
      messages,
      thinkingBudget: 800,
      includeThoughts: true,
      cachedContent: "cachedContents/abc",
    });
    expect(body.extra_body).toEqual({
      google: {
        thinking_config: { thinking_budget: 800, include_thoughts: true },
        cached_content: "cachedContents/abc",
      },
    });
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("never sends reasoning_effort together with thinking_config", () => {
    const flash = chatRequestBody("gemini-2.5-flash", { messages, reasoningEffort: "high", includeThoughts: true });
    expect(flash.reasoning_effort).toBeUndefined();
    expect(flash.extra_body).toEqual({
      google: { thinking_config: { thinking_budget: 24576, include_thoughts: true } },
    });
    expect(chatRequestBody("gemini-2.5-flash", { messages, reasoningEffort: "high" })).toMatchObject({
      reasoning_effort: "high",
    });
  });
});

describe("thinkingForEffort", () => {
  it("maps efforts to Gemini 3 levels (Pro has no minimal or medium) and to 2.5 budgets", () => {
    expect(thinkingForEffort("gemini-3-flash-preview", "medium")).toEqual({ thinking_level: "medium" });
    expect(thinkingForEffort("models/gemini-3-pro-preview", "medium")).toEqual({ thinking_level: "high" });
    expect(thinkingForEffort("gemini-3-pro-preview", "minimal")).toEqual({ thinking_level: "low" });
    expect(thinkingForEffort("gemini-2.5-flash", "none")).toEqual({ thinking_budget: 0 });
  });
});

describe("readUsage", () => {
  it("counts thinking tokens as total minus prompt minus output, as Gemini's total includes them", () => {
    expect(readUsage({ prompt_tokens: 744, completion_tokens: 1469, total_tokens: 2496 })).toMatchObject({
      thinkingTokens: 283,
      totalTokens: 2496,
    });
    expect(
      readUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 8 } }),
    ).toMatchObject({ cachedTokens: 8, totalTokens: 15 });
  });
});
