import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AnswerEvent, ConfigError, type GemIndex, openIndex } from "../../src/index.js";
import type { ChatRequestInfo, EmulatedToolCall, Emulator } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let index: GemIndex;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  await index.index(["."]);
  emulator.reset();
});
afterEach(async () => {
  await index.close();
  await workspace.cleanup();
});

type Done = Extract<AnswerEvent, { type: "done" }>;
type WireMessage = {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: Array<{
    id: string;
    function: { name: string; arguments: string };
    extra_content?: { google?: { thought_signature?: string } };
  }>;
};
type ChatBody = { messages: WireMessage[]; tools?: unknown[]; tool_choice?: string; [key: string]: unknown };

async function collect(iterable: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const events: AnswerEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

const chatBodies = () => emulator.requests({ path: /chat\/completions$/ }).map((request) => request.body as ChatBody);

/** A model that makes the given calls at its first steps (one list per step), then answers. */
function scriptedModel(script: EmulatedToolCall[][]): (request: ChatRequestInfo) => EmulatedToolCall[] | undefined {
  return (request) => {
    if (request.body.tool_choice === "none") return undefined;
    const step = (request.messages as WireMessage[]).filter((message) => message.role === "assistant").length;
    return script[step];
  };
}

describe("answer({ agent: true })", () => {
  it(`runs the model's searches, replays each call with its thought signature, \
and cites passages of every step`, async () => {
    emulator.options.toolResponder = scriptedModel([
      [{ name: "search", arguments: { query: "glaciers carve valleys", k: 1 } }],
      [{ name: "search", arguments: { query: "rotate signing keys", k: 1 } }],
      [{ name: "search", arguments: { query: "glaciers carve valleys", k: 1 } }],
    ]);
    emulator.options.chatResponder = () =>
      "Glaciers carve U-shaped valleys [1]; rotate the keys every ninety days [2].";
    const events = await collect(index.answer("Glaciers and key rotation?", { agent: true }));

    const calls = events.filter((event) => event.type === "tool-call");
    expect(calls.map((event) => [event.step, event.name, event.arguments.query])).toEqual([
      [1, "search", "glaciers carve valleys"],
      [2, "search", "rotate signing keys"],
      [3, "search", "glaciers carve valleys"],
    ]);
    const results = events.filter((event) => event.type === "tool-result");
    expect(results[0]!.hits.map((hit) => [hit.rank, hit.citation])).toEqual([[1, "manual.pdf:p2"]]);
    expect(results[1]!.hits.map((hit) => [hit.rank, hit.citation])).toEqual([[2, "guide.md:L3-L13"]]);
    // Found again, a passage keeps its number.
    expect(results[2]!.hits.map((hit) => [hit.rank, hit.citation])).toEqual([[1, "manual.pdf:p2"]]);

    const done = events.at(-1) as Done;
    expect(done.citations.map((citation) => [citation.n, citation.citation])).toEqual([
      [1, "manual.pdf:p2"],
      [2, "guide.md:L3-L13"],
    ]);
    expect(done.stepLimitReached).toBe(false);
    expect(done.steps!.map((step) => step.toolCalls.length)).toEqual([1, 1, 1, 0]);
    // Usage per step, and the total is their sum.
    const usages = events.filter((event) => event.type === "usage");
    expect(usages.map((event) => event.step)).toEqual([1, 2, 3, 4]);
    expect(done.usage!.promptTokens).toBe(usages.reduce((sum, event) => sum + event.usage.promptTokens, 0));

    // What went over the wire: tools every time, the calls replayed with their signatures, results as tool messages.
    const bodies = chatBodies();
    expect(bodies).toHaveLength(4);
    for (const body of bodies) expect(body.tools).toHaveLength(2);
    // The last step must answer.
    expect(bodies.map((body) => body.tool_choice)).toEqual(["auto", "auto", "auto", "none"]);
    const replayed = bodies[3]!.messages.filter((message) => message.role === "assistant");
    expect(replayed).toHaveLength(3);
    for (const message of replayed) {
      expect(message.content).toBeNull();
      expect(message.tool_calls![0]!.extra_content?.google?.thought_signature).toMatch(/.+/);
    }
    const toolMessages = bodies[3]!.messages.filter((message) => message.role === "tool");
    expect(toolMessages.map((message) => message.tool_call_id)).toEqual(
      replayed.map((message) => message.tool_calls![0]!.id),
    );
    expect(toolMessages[0]!.content).toContain('<source n="1" citation="manual.pdf:p2">');
    expect(toolMessages[1]!.content).toContain('<source n="2" citation="guide.md:L3-L13">');
    expect(toolMessages[2]!.content).toBe("Also matched, given earlier: [1] manual.pdf:p2");
  });

  it("never replays a Gemini 3 call without its signature: the strict service would refuse the next step", async () => {
    // The emulator is strict by default, as Gemini 3 is; each step below depends on the previous replay being accepted.
    emulator.options.toolResponder = scriptedModel([
      [
        { name: "search", arguments: { query: "tomatoes" } },
        { name: "read", arguments: { path: "notes/garden.md" } },
      ],
      [{ name: "search", arguments: { query: "backoff" } }],
    ]);
    const done = (await collect(index.answer("Tomatoes?", { agent: true }))).at(-1) as Done;
    expect(done.steps).toHaveLength(3);
    expect(emulator.requests({ path: /chat\/completions$/ }).map((request) => request.status)).toEqual([200, 200, 200]);
    // Parallel calls: the signature rides on the first call only, as Gemini sent it.
    const replay = chatBodies()[2]!.messages.find((message) => message.role === "assistant")!;
    expect(replay.tool_calls!.map((call) => call.extra_content?.google?.thought_signature !== undefined)).toEqual([
      true,
      false,
    ]);
  });

  it("stops at --max-steps when the model never stops calling tools: the last step may not use tools", async () => {
    // A model that ignores tool_choice and calls search forever.
    emulator.options.toolResponder = () => [{ name: "search", arguments: { query: "volcano lava" } }];
    const events = await collect(index.answer("Lava?", { agent: true, maxSteps: 3 }));
    const done = events.at(-1) as Done;
    expect(done.stepLimitReached).toBe(true);
    expect(done.steps).toHaveLength(3);
    expect(chatBodies().map((body) => body.tool_choice)).toEqual(["auto", "auto", "none"]);
    // Two steps ran their calls; the third step's calls were not run.
    expect(events.filter((event) => event.type === "tool-call")).toHaveLength(2);
    expect(done.hits!.length).toBeGreaterThan(0);
    expect(done.text).toBe("");
  });

  it("answers from what it gathered when the last step forbids tools", async () => {
    emulator.options.toolResponder = (request) =>
      request.body.tool_choice === "none" ? undefined : [{ name: "search", arguments: { query: "volcano lava" } }];
    const done = (await collect(index.answer("Lava?", { agent: true, maxSteps: 2 }))).at(-1) as Done;
    expect(done.stepLimitReached).toBe(false);
    expect(done.text).toMatch(/lava flows are fluid.*\[1\]/i);
    expect(done.citations[0]).toMatchObject({ n: 1, citation: "manual.pdf:p1" });
  });

  it("reads a page or a line range for the model, numbered and citable like a passage", async () => {
    emulator.options.toolResponder = scriptedModel([
      [
        { name: "read", arguments: { path: "manual.pdf", page: 3 } },
        { name: "read", arguments: { path: "guide.md:L7-L9" } },
      ],
    ]);
    const events = await collect(index.answer("What does page 3 say?", { agent: true }));
    const results = events.filter((event) => event.type === "tool-result");
    expect(results.map((event) => [event.hits[0]!.rank, event.hits[0]!.citation])).toEqual([
      [1, "manual.pdf:p3"],
      [2, "guide.md:L7-L9"],
    ]);
    expect(results[0]!.hits[0]!.text).toContain("Seismographs record earthquake waves");
    expect(results[1]!.hits[0]!.text).toBe(
      "## Key rotation\n\nRotate the signing keys every ninety days with the keyctl rotate command on the primary " +
        "node.",
    );
    const done = events.at(-1) as Done;
    expect(done.citations[0]).toMatchObject({ n: 1, citation: "manual.pdf:p3", page: 3 });
  });

  it("tells the model what it got wrong (unknown document or tool, no query) and lets it go on", async () => {
    emulator.options.toolResponder = scriptedModel([
      [
        { name: "read", arguments: { path: "nowhere.md" } },
        { name: "fetch", arguments: { url: "http://example.com" } },
        { name: "search", arguments: {} },
      ],
    ]);
    const events = await collect(index.answer("Anything?", { agent: true }));
    const errors = events.filter((event) => event.type === "tool-result").map((event) => event.error);
    expect(errors[0]).toMatch(/^nowhere\.md is not in the index/);
    expect(errors[1]).toMatch(/no tool named "fetch"/);
    expect(errors[2]).toMatch(/"query" is required/);
    const tools = chatBodies()[1]!.messages.filter((message) => message.role === "tool");
    expect(tools.map((message) => message.content)).toEqual(errors.map((error) => `Error: ${error}.`));
    expect((events.at(-1) as Done).steps).toHaveLength(2);
  });

  it("keeps call ids paired with results when the model sends empty ids", async () => {
    emulator.options.toolCallIds = "empty";
    emulator.options.toolResponder = scriptedModel([[{ name: "search", arguments: { query: "garden" } }]]);
    await collect(index.answer("Garden?", { agent: true }));
    const messages = chatBodies()[1]!.messages;
    const call = messages.find((message) => message.role === "assistant")!.tool_calls![0]!;
    expect(call.id).toBe("call_1_1");
    expect(messages.find((message) => message.role === "tool")!.tool_call_id).toBe("call_1_1");
  });

  it("sends pinned documents inline (a context cache cannot go with tools) and refuses a given cache", async () => {
    emulator.options.toolResponder = scriptedModel([]);
    await collect(index.answer("What does the guide say?", { agent: true, pin: ["guide.md"] }));
    expect(emulator.requests({ path: /cachedContents/ })).toHaveLength(0);
    const body = chatBodies()[0]!;
    expect(body.extra_body).toBeUndefined();
    expect(body.messages[0]!.role).toBe("system");
    expect(body.messages[1]!.content).toContain('<document n="P1" path="guide.md">');
    await expect(index.answer("x", { agent: true, cachedContent: "cachedContents/abc" }).next()).rejects.toThrow(
      ConfigError,
    );
  });

  it("works with models that send no signatures (Gemini 2.5) and OpenAI-style finish reasons", async () => {
    emulator.options.toolCallFinishReason = "tool_calls";
    emulator.options.toolResponder = scriptedModel([[{ name: "search", arguments: { query: "tomato" } }]]);
    const done = (await collect(index.answer("Tomato?", { agent: true, model: "gemini-2.5-flash" }))).at(-1) as Done;
    expect(done.steps!.map((step) => step.finishReason)).toEqual(["tool_calls", "stop"]);
    const replay = chatBodies()[1]!.messages.find((message) => message.role === "assistant")!;
    expect(replay.tool_calls![0]!.extra_content).toBeUndefined();
  });
});

describe("answer({ agent: true }): streams that break off", () => {
  it("asks a step again when its stream broke off before anything was shown", async () => {
    const script = scriptedModel([[{ name: "search", arguments: { query: "tomato" } }]]);
    emulator.options.toolResponder = (request) => {
      const calls = script(request);
      // While step 1 is answered, the next request (step 2) is set to end before its first chunk.
      if (calls) emulator.inject({ path: "chat/completions", status: 503, afterStreamChunks: 0, streamEnd: "eof" });
      return calls;
    };
    const done = (await collect(index.answer("Tomato?", { agent: true }))).at(-1) as Done;
    expect(done.complete).toBe(true);
    expect(done.steps!.map((step) => step.step)).toEqual([1, 2]);
    expect(chatBodies()).toHaveLength(3);
    expect(done.text).toMatch(/\[1\]/);
  });

  it("ends the answer, marked incomplete, when the stream breaks off after text was shown (exit 4)", async () => {
    emulator.options.toolResponder = scriptedModel([[{ name: "search", arguments: { query: "tomato" } }]]);
    emulator.options.chatResponder = () => "Water the tomatoes at the roots, never the leaves, in the morning [1].";
    const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
    const first = await collect(index.answer("Tomato?", { agent: true }));
    expect((first.at(-1) as Done).complete).toBe(true);
    emulator.reset();
    emulator.options.toolResponder = (request) => {
      const calls = scriptedModel([[{ name: "search", arguments: { query: "tomato" } }]])(request);
      if (calls) emulator.inject({ path: "chat/completions", status: 503, afterStreamChunks: 2, dropConnection: true });
      return calls;
    };
    const run = await runGemindex(["--db", workspace.db, "--json", "query", "--agent", "Tomato?"], {
      cwd: workspace.corpus,
      env,
    });
    expect(run.code).toBe(4);
    const body = JSON.parse(run.stdout) as { complete: boolean; error: { code: string }; answer: string };
    expect(body.complete).toBe(false);
    expect(body.error.code).toBe("STREAM_INTERRUPTED");
    expect(body.answer.length).toBeGreaterThan(0);
    expect("Water the tomatoes at the roots, never the leaves, in the morning [1].").toContain(body.answer);
  });
});

describe("gemindex query --agent / chat --agent", () => {
  const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });

  it("prints each step with its passages, then the answer; --json has answer, citations, steps and usage", async () => {
    emulator.options.toolResponder = scriptedModel([[{ name: "search", arguments: { query: "glaciers", k: 1 } }]]);
    const human = await runGemindex(["--db", workspace.db, "query", "--agent", "Glaciers?"], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^\[step 1\] search "glaciers"\n {4}\[1\] manual\.pdf:p2\n\nAnswer:\n.*\[1\]/);
    const json = await runGemindex(["--db", workspace.db, "--json", "query", "--agent", "Glaciers?"], {
      cwd: workspace.corpus,
      env: env(),
    });
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(expect.arrayContaining(["answer", "citations", "steps", "usage"]));
    expect(body.citations).toEqual([expect.objectContaining({ n: 1, citation: "manual.pdf:p2" })]);
    expect((body.steps as unknown[]).length).toBe(2);
  });

  it("exits 0 with a notice when the step limit is reached", async () => {
    emulator.options.toolResponder = () => [{ name: "search", arguments: { query: "lava" } }];
    const run = await runGemindex(["--db", workspace.db, "query", "--agent", "--max-steps", "2", "Lava?"], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("still searching after 2 steps (--max-steps)");
    expect(run.stdout).toContain("(the model gave no answer)");
  });

  it("refuses --agent without a key, and with --schema", async () => {
    const offline = await runGemindex(["--db", workspace.db, "query", "--agent", "x"], { cwd: workspace.corpus });
    expect(offline.code).toBe(2);
    expect(offline.stderr).toContain("--agent needs GEMINI_API_KEY");
    await workspace.write("s.json", '{"type":"object"}');
    const both = await runGemindex(["--db", workspace.db, "query", "--agent", "--schema", "s.json", "x"], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      "Use --schema or --agent, not both: Gemini refuses function calling together with JSON output.",
    );
  });

  it("chat --agent searches for each question and keeps the turns", async () => {
    emulator.options.toolResponder = scriptedModel([[{ name: "search", arguments: { query: "garden tomato", k: 1 } }]]);
    const { Readable } = await import("node:stream");
    let stdout = "";
    const { runCli } = await import("../../src/cli/program.js");
    const code = await runCli(["--db", workspace.db, "chat", "--agent"], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      stdin: Readable.from(["What about tomatoes?\n", "And their leaves?\n"]),
      env: env(),
      cwd: workspace.corpus,
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/> What about tomatoes\?\n {2}\(search "garden tomato"\)\n {4}\[1\] notes\/garden\.md/);
    // The second question's first request carries the first turn as history.
    const later = chatBodies().filter((body) => body.messages.at(-1)!.content === "Question: And their leaves?");
    expect(later[0]!.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
  });
});
