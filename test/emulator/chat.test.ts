import { readFile } from "node:fs/promises";
import path from "node:path";
import OpenAI from "openai";
import { beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir } from "../support/workspace.js";
import type { Emulator } from "./index.js";
import { compat, googleError, sdk, sseEvents } from "./testing.js";

let emulator: Emulator;
let client: OpenAI;

useEmulator((started) => {
  emulator = started;
  client = sdk(emulator);
});
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const SOURCES =
  "Answer from the sources and cite them.\n\n[1] docs/recovery.md\nA crashed run never corrupts the index because " +
  "chunks are written before the manifest. More text.\n\n" +
  ("[2] docs/config.md\nConfiguration is loaded once from flags and files.\n\nQuestion: How does gemindex survive a " +
    "crash?");

type Chunk = {
  choices: {
    delta: {
      content?: string;
      role?: string;
      tool_calls?: Record<string, unknown>[];
      extra_content?: { google: Record<string, unknown> };
    };
    finish_reason?: string;
    index: number;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  object: string;
  id: string;
};

describe("POST /chat/completions (non-streaming)", () => {
  it("answers with a Gemini-style completion citing source [1]", async () => {
    const reply = await client.chat.completions.create({
      model: "gemini-3-flash-preview",
      messages: [{ role: "user", content: SOURCES }],
    });
    expect(reply.object).toBe("chat.completion");
    expect(reply.id).not.toMatch(/^chatcmpl-/);
    expect(reply.id).toMatch(/^[A-Za-z0-9]{20,}$/);
    expect(reply).not.toHaveProperty("system_fingerprint");
    expect(reply.choices[0]!.finish_reason).toBe("stop");
    expect(reply.choices[0]!.message.content).toContain(
      "A crashed run never corrupts the index because chunks are written before the manifest [1].",
    );
    expect(reply.choices[0]!.message.content).toContain("[2]");
    const usage = reply.usage!;
    // Thinking tokens included.
    expect(usage.total_tokens).toBeGreaterThan(usage.prompt_tokens + usage.completion_tokens);
  });

  it("echoes the question when there are no numbered sources", async () => {
    const reply = await client.chat.completions.create({
      model: "gemini-2.5-flash-lite",
      messages: [{ role: "user", content: "What is LanceDB?" }],
    });
    expect(reply.choices[0]!.message.content).toContain("What is LanceDB?");
    // No thinking by default.
    expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
  });

  it("uses a custom chatResponder and shows it the system text and question", async () => {
    const seen: string[] = [];
    emulator.options.chatResponder = (request) => {
      seen.push(request.system, request.question);
      return "custom";
    };
    const reply = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi?" },
      ],
    });
    expect(reply.choices[0]!.message.content).toBe("custom");
    expect(seen).toEqual(["Be brief.", "Hi?"]);
  });

  it("accepts a `models/` prefix on the model", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", {
      model: "models/gemini-2.5-flash",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.status).toBe(200);
  });

  it("returns JSON satisfying a json_schema response_format", async () => {
    const reply = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: SOURCES }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "answer",
          schema: {
            type: "object",
            properties: {
              answer: { type: "string" },
              citations: { type: "array", items: { type: "integer" } },
              confidence: { enum: ["high", "low"] },
            },
            required: ["answer", "citations", "confidence"],
          },
        },
      },
    });
    const parsed = JSON.parse(reply.choices[0]!.message.content!) as {
      answer: string;
      citations: number[];
      confidence: string;
    };
    expect(parsed.answer).toContain("[1]");
    expect(parsed.citations).toEqual([]);
    expect(parsed.confidence).toBe("high");
  });

  it("cuts the answer at max_tokens with finish_reason length", async () => {
    const reply = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: SOURCES }],
      max_tokens: 3,
    });
    expect(reply.choices[0]!.finish_reason).toBe("length");
    expect(reply.choices[0]!.message.content!.length).toBeLessThanOrEqual(12);
  });

  it("prefixes <thought> summaries when include_thoughts is set via extra_body.google", async () => {
    const params = {
      model: "gemini-2.5-flash",
      messages: [{ role: "user" as const, content: "Why?" }],
      extra_body: { google: { thinking_config: { thinking_budget: 1024, include_thoughts: true } } },
    };
    const reply = await client.chat.completions.create(params);
    expect(reply.choices[0]!.message.content).toMatch(/^<thought>[\s\S]+<\/thought>The emulator/);
  });

  it("answers a forced tool call with finish_reason stop and a thought_signature on Gemini 3", async () => {
    const reply = await client.chat.completions.create({
      model: "gemini-3-flash-preview",
      messages: [{ role: "user", content: "weather in Paris" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          },
        },
      ],
      tool_choice: "required",
    });
    const call = reply.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall & {
      extra_content?: { google: { thought_signature: string } };
    };
    expect(reply.choices[0]!.finish_reason).toBe("stop");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "weather in Paris" });
    expect(call.extra_content?.google.thought_signature).toEqual(expect.any(String));
  });

  it("rejects tools combined with JSON mode", async () => {
    const reply = await compat(emulator, "POST", "chat/completions", {
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "f" } }],
      response_format: { type: "json_object" },
    });
    expect(googleError(reply.body).message).toBe(
      "Function calling with a response mime type: 'application/json' is unsupported",
    );
  });

  it("accepts inline image_url and input_audio parts but refuses remote image URLs", async () => {
    const data = (await readFile(path.join(fixturesDir, "media/gauge.png"))).toString("base64");
    const ok = await compat(emulator, "POST", "chat/completions", {
      model: "gemini-2.5-flash",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${data}` } },
            { type: "input_audio", input_audio: { data, format: "wav" } },
          ],
        },
      ],
    });
    expect(ok.status).toBe(200);
    const remoteBody = {
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }],
    };
    expect((await compat(emulator, "POST", "chat/completions", remoteBody)).status).toBe(400);
    emulator.options.remoteImageUrls = "accept";
    expect((await compat(emulator, "POST", "chat/completions", remoteBody)).status).toBe(200);
  });
});

describe("thinking options", () => {
  const ask = (extra: Record<string, unknown>, model = "gemini-2.5-flash") =>
    compat(emulator, "POST", "chat/completions", { model, messages: [{ role: "user", content: "x" }], ...extra });

  it("validates reasoning_effort per model with Google's message", async () => {
    const reply = await ask({ reasoning_effort: "minimal" });
    expect(reply.status).toBe(400);
    expect(googleError(reply.body).message).toBe(
      "Invalid reasoning_effort: minimal. Valid values are: high, low, medium, none",
    );
    expect((await ask({ reasoning_effort: "none" }, "gemini-3-flash-preview")).status).toBe(400);
    expect((await ask({ reasoning_effort: "low" }, "gemini-3-flash-preview")).status).toBe(200);
  });

  it("takes the valid reasoning_effort list from options", async () => {
    emulator.options.reasoningEfforts = { "gemini-3-pro-preview": ["low", "high"] };
    expect(googleError((await ask({ reasoning_effort: "medium" }, "gemini-3-pro-preview")).body).message).toBe(
      "Invalid reasoning_effort: medium. Valid values are: high, low",
    );
  });

  it("refuses reasoning_effort together with thinking_config", async () => {
    const reply = await ask({
      reasoning_effort: "low",
      extra_body: { google: { thinking_config: { thinking_budget: 100 } } },
    });
    expect(reply.status).toBe(400);
  });

  it("refuses thinking level MEDIUM on gemini-3-pro-preview and budget 0 on 2.5 Pro", async () => {
    const level = await ask(
      { extra_body: { google: { thinking_config: { thinking_level: "medium" } } } },
      "gemini-3-pro-preview",
    );
    expect(googleError(level.body).message).toBe("Thinking level MEDIUM is not supported for this model.");
    const budget = await ask({ extra_body: { google: { thinking_config: { thinking_budget: 0 } } } }, "gemini-2.5-pro");
    expect(googleError(budget.body).message).toBe("Budget 0 is invalid. This model only works in thinking mode.");
  });

  it("rejects extra_body nested twice and unknown google fields", async () => {
    const nested = await ask({ extra_body: { extra_body: { google: {} } } });
    expect(googleError(nested.body).message).toBe(
      `Invalid JSON payload received. Unknown name "extra_body" at 'extra_body': Cannot find field.`,
    );
    const unknown = await ask({ extra_body: { google: { thinking: true } } });
    expect(googleError(unknown.body).message).toContain(`Unknown name "thinking" at 'extra_body.google'`);
  });
});

describe("POST /chat/completions (stream)", () => {
  it(`sends Gemini's SSE quirks: role and usage on every chunk, no usage-only chunk, finish_reason last, \
[DONE]`, async () => {
    const response = await fetch(`${emulator.baseURL}chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gemini-3-flash-preview",
        stream: true,
        messages: [{ role: "user", content: SOURCES }],
      }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = sseEvents(await response.text());
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Chunk[];
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.choices).toHaveLength(1);
      expect(chunk.choices[0]!.delta.role).toBe("assistant");
      expect(chunk.usage).toBeDefined();
    }
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]!.finish_reason === undefined)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe("stop");
    expect(last.choices[0]!.delta.content).toBe("");
    expect(last.choices[0]!.delta.extra_content?.google.thought_signature).toEqual(expect.any(String));
    const completions = chunks.map((chunk) => chunk.usage!.completion_tokens);
    expect(completions).toEqual([...completions].sort((a, b) => a - b));
    const text = chunks.map((chunk) => chunk.choices[0]!.delta.content ?? "").join("");
    expect(text).toContain("[1].");
  });

  it("streams through the openai SDK and ends without an empty-choices chunk even with include_usage", async () => {
    const stream = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Tell me" }],
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
  });

  it("omits the thought_signature chunk on 2.5 models and when disabled", async () => {
    const events = sseEvents(
      await (
        await fetch(`${emulator.baseURL}chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${emulator.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            model: "gemini-2.5-flash",
            stream: true,
            messages: [{ role: "user", content: "a b" }],
          }),
        })
      ).text(),
    );
    const chunks = events.slice(0, -1) as Chunk[];
    expect(chunks.some((chunk) => chunk.choices[0]!.delta.extra_content)).toBe(false);
    expect(chunks.at(-1)!.choices[0]!.delta.content).not.toBe("");
  });

  it("marks streamed thought deltas with extra_content.google.thought", async () => {
    const params = {
      model: "gemini-3-flash-preview",
      stream: true as const,
      messages: [{ role: "user" as const, content: "Think" }],
      extra_body: { google: { thinking_config: { include_thoughts: true } } },
    };
    const chunks: Chunk[] = [];
    for await (const chunk of await client.chat.completions.create(params)) chunks.push(chunk as unknown as Chunk);
    const thoughts = chunks.filter((chunk) => chunk.choices[0]!.delta.extra_content?.google.thought === true);
    expect(thoughts.length).toBeGreaterThan(0);
    const thoughtText = thoughts.map((chunk) => chunk.choices[0]!.delta.content).join("");
    expect(thoughtText).toMatch(/^<thought>[\s\S]*<\/thought>$/);
    expect(chunks.indexOf(thoughts.at(-1)!)).toBeLessThan(
      chunks.findIndex((chunk) => chunk.choices[0]!.delta.extra_content === undefined),
    );
  });

  it("sends a streamed tool call whole, in one chunk, without tool_calls[].index", async () => {
    const response = await compat(emulator, "POST", "chat/completions", {
      model: "gemini-2.5-flash",
      stream: true,
      messages: [{ role: "user", content: "x" }],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      tool_choice: { type: "function", function: { name: "lookup" } },
    });
    const chunks = sseEvents(response.text).slice(0, -1) as Chunk[];
    const withCalls = chunks.filter((chunk) => chunk.choices[0]!.delta.tool_calls);
    expect(withCalls).toHaveLength(1);
    const call = withCalls[0]!.choices[0]!.delta.tool_calls![0]!;
    expect(call).not.toHaveProperty("index");
    expect(call).toMatchObject({ type: "function", function: { name: "lookup", arguments: "{}" } });
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });

  it("fails mid-stream with an error event the SDK throws on", async () => {
    emulator.inject({ path: "chat/completions", status: 503, afterStreamChunks: 2 });
    const stream = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      stream: true,
      messages: [{ role: "user", content: SOURCES }],
    });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(seen).toHaveLength(2);
  });
});

describe("stream endings (injected)", () => {
  const messages = [{ role: "user" as const, content: SOURCES }];
  const streamed = { model: "gemini-2.5-flash", stream: true, messages };

  it("ends with [DONE] after two chunks and no finish_reason anywhere (a proxy cutting the stream)", async () => {
    emulator.inject({ path: "chat/completions", status: 200, afterStreamChunks: 2, streamEnd: "done" });
    const response = await compat(emulator, "POST", "chat/completions", streamed);
    const events = sseEvents(response.text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Chunk[];
    expect(chunks).toHaveLength(2);
    expect(chunks.every((chunk) => chunk.choices[0]!.finish_reason === undefined)).toBe(true);
  });

  it("just ends the body (no [DONE], no finish_reason)", async () => {
    emulator.inject({ path: "chat/completions", status: 200, afterStreamChunks: 1, streamEnd: "eof" });
    const response = await compat(emulator, "POST", "chat/completions", streamed);
    const events = sseEvents(response.text);
    expect(events).toHaveLength(1);
    expect((events[0] as Chunk).choices[0]!.finish_reason).toBeUndefined();
  });

  it.each(["length", "content_filter"] as const)("stops after one chunk with finish_reason %s", async (reason) => {
    emulator.inject({ path: "chat/completions", status: 200, afterStreamChunks: 1, streamEnd: reason });
    const response = await compat(emulator, "POST", "chat/completions", streamed);
    const chunks = sseEvents(response.text).slice(0, -1) as Chunk[];
    expect(chunks).toHaveLength(2);
    expect(chunks[1]!.choices[0]).toMatchObject({ finish_reason: reason, delta: { content: "" } });
  });

  it("stops a non-streaming completion with content_filter and no content", async () => {
    emulator.inject({ path: "chat/completions", status: 200, streamEnd: "content_filter" });
    const reply = await client.chat.completions.create({ model: "gemini-2.5-flash", messages });
    expect(reply.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
  });

  it("drops the connection mid-stream", async () => {
    emulator.inject({ path: "chat/completions", status: 0, afterStreamChunks: 2, dropConnection: true });
    const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", stream: true, messages });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(seen).toHaveLength(2);
  });
});

describe("service_tier", () => {
  it("reports the serving tier in x-gemini-service-tier and sheds flex when overloaded", async () => {
    const body = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }], service_tier: "flex" };
    expect((await compat(emulator, "POST", "chat/completions", body)).headers.get("x-gemini-service-tier")).toBe(
      "flex",
    );
    emulator.options.flexOverloaded = true;
    const shed = await compat(emulator, "POST", "chat/completions", body);
    expect(shed.status).toBe(503);
    expect(googleError(shed.body).status).toBe("UNAVAILABLE");
    emulator.options.priorityOverflow = true;
    const priority = await compat(emulator, "POST", "chat/completions", { ...body, service_tier: "priority" });
    expect(priority.headers.get("x-gemini-service-tier")).toBe("standard");
  });
});

describe("GET /models", () => {
  it("lists ids with the models/ prefix and retrieves one by bare id", async () => {
    const list = await client.models.list();
    const ids = list.data.map((model) => model.id);
    expect(ids).toContain("models/gemini-3-flash-preview");
    expect(ids).toContain("models/gemini-embedding-001");
    const one = await client.models.retrieve("gemini-2.5-flash");
    expect(one).toMatchObject({ id: "models/gemini-2.5-flash", object: "model", owned_by: "google" });
    await expect(client.models.retrieve("gemini-9")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("chat option variants", () => {
  const toolRequest = {
    model: "gemini-3-flash-preview",
    messages: [{ role: "user", content: "x" }],
    tools: [{ type: "function", function: { name: "search", parameters: { type: "object", properties: {} } } }],
    tool_choice: "required",
  };

  it("uses empty tool-call ids and finish_reason tool_calls when asked", async () => {
    emulator.options.toolCallIds = "empty";
    emulator.options.toolCallFinishReason = "tool_calls";
    const body = (await compat(emulator, "POST", "chat/completions", toolRequest)).body as OpenAI.ChatCompletion;
    expect(body.choices[0]!.finish_reason).toBe("tool_calls");
    expect(body.choices[0]!.message.tool_calls![0]!.id).toBe("");
    expect(body.choices[0]!.message.content).toBeNull();
  });

  it(`requires the thought_signature on replayed Gemini 3 tool calls by default, \
not when the option is off`, async () => {
    const first = (await compat(emulator, "POST", "chat/completions", toolRequest)).body as OpenAI.ChatCompletion;
    const assistant = first.choices[0]!.message;
    const followUp = (message: unknown) =>
      compat(emulator, "POST", "chat/completions", {
        model: "gemini-3-flash-preview",
        messages: [
          { role: "user", content: "x" },
          message,
          { role: "tool", tool_call_id: assistant.tool_calls![0]!.id, content: "result" },
        ],
      });
    expect((await followUp(assistant)).status).toBe(200);
    const calls = assistant.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    const stripped = {
      ...assistant,
      tool_calls: calls.map(({ id, type, function: fn }) => ({ id, type, function: fn })),
    };
    const refused = await followUp(stripped);
    expect(refused.status).toBe(400);
    expect(googleError(refused.body).message).toMatch(/^Function call is missing a thought_signature/);
    emulator.options.requireThoughtSignatures = false;
    expect((await followUp(stripped)).status).toBe(200);
  });

  it("sends bare thought text when thoughtTags is 'bare'", async () => {
    emulator.options.thoughtTags = "bare";
    const reply = await compat(emulator, "POST", "chat/completions", {
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "x" }],
      extra_body: { google: { thinking_config: { include_thoughts: true } } },
    });
    const content = (reply.body as OpenAI.ChatCompletion).choices[0]!.message.content!;
    expect(content).not.toContain("<thought>");
    expect(content).toMatch(/^\*\*Planning the answer\*\*/);
  });

  it("echoes models/ prefixes and adds reasoning_tokens when asked", async () => {
    emulator.options.echoModelPrefix = true;
    emulator.options.reasoningTokensDetail = true;
    const body = (
      await compat(emulator, "POST", "chat/completions", {
        model: "gemini-2.5-pro",
        messages: [{ role: "user", content: "x" }],
      })
    ).body as OpenAI.ChatCompletion;
    expect(body.model).toBe("models/gemini-2.5-pro");
    const usage = body.usage!;
    expect(usage.completion_tokens_details!.reasoning_tokens).toBe(
      usage.total_tokens - usage.prompt_tokens - usage.completion_tokens,
    );
  });

  it(`emits the thought_signature chunk on every model with streamThoughtSignature 'always', \
never with 'never'`, async () => {
    const last = async (model: string) => {
      const events = sseEvents(
        (
          await compat(emulator, "POST", "chat/completions", {
            model,
            stream: true,
            messages: [{ role: "user", content: "x" }],
          })
        ).text,
      );
      return (events.at(-2) as Chunk).choices[0]!.delta;
    };
    emulator.options.streamThoughtSignature = "always";
    expect((await last("gemini-2.5-flash")).extra_content?.google.thought_signature).toEqual(expect.any(String));
    emulator.options.streamThoughtSignature = "never";
    expect((await last("gemini-3-flash-preview")).extra_content).toBeUndefined();
  });

  it("returns n candidates", async () => {
    const body = (
      await compat(emulator, "POST", "chat/completions", {
        model: "gemini-2.5-flash",
        n: 2,
        messages: [{ role: "user", content: "x" }],
      })
    ).body as OpenAI.ChatCompletion;
    expect(body.choices.map((choice) => choice.index)).toEqual([0, 1]);
  });
});
