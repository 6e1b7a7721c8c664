import { PassThrough } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { type AnswerEvent, openIndex, StreamInterruptedError } from "../../src/index.js";
import type { Emulator, Fault } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeAll(async () => {
  workspace = await makeWorkspace();
  await workspace.write(
    "harbour.md",
    "# Harbour\n\nThe harbour master rings the bell twice at dawn and once more when the ferry has docked safely " +
      "at the pier.\n",
  );
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  await index.index(["."]);
  await index.close();
});
afterAll(async () => {
  await workspace.cleanup();
});
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const query = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, "query", "-k", "1", ...argv, "When does the harbour master ring the bell?"], {
    cwd: workspace.corpus,
    env: env(),
  });
const chats = () => emulator.requests({ method: "POST", path: "chat/completions" });
const cut = (fault: Omit<Fault, "path" | "status"> & { status?: number }) =>
  emulator.inject({ path: "chat/completions", status: 503, ...fault });

/** The answer the emulator streams for the question, in full (asked once, without faults). */
async function fullAnswer(): Promise<string> {
  const run = await query("--json");
  emulator.reset();
  return JSON.parse(run.stdout).answer as string;
}

describe("gemindex query: a stream that breaks off", () => {
  it("a dropped connection mid-answer: the partial answer, then its own line naming the failure, exit 4", async () => {
    const whole = await fullAnswer();
    cut({ afterStreamChunks: 2, dropConnection: true });
    const run = await query();
    expect(run.code).toBe(4);
    const printed = run.stdout.split("Answer:\n")[1]!;
    expect(printed.length).toBeGreaterThan(0);
    expect(whole.startsWith(printed.trimEnd())).toBe(true);
    expect(printed.trimEnd().length).toBeLessThan(whole.length);
    expect(printed.endsWith("\n")).toBe(true);
    expect(run.stderr).toMatch(
      /^gemindex: the answer above is incomplete\. The chat stream broke off: the connection dropped mid-answer/m,
    );
    expect(run.stderr).not.toMatch(/unexpected error/);
    // Text was already shown: asking again would repeat it.
    expect(chats()).toHaveLength(1);
  });

  it("an SSE error event mid-answer names the service's error, exit 4", async () => {
    cut({ afterStreamChunks: 2, message: "The model is overloaded. Please try again later." });
    const run = await query();
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      "the answer above is incomplete. The chat stream broke off: the service sent an error (503 UNAVAILABLE: The " +
        "model is overloaded. Please try again later.)",
    );
  });

  it.each(["done", "eof"] as const)(
    "a stream that ends cleanly (%s) without a finish reason is incomplete, exit 4",
    async (streamEnd) => {
      cut({ afterStreamChunks: 2, streamEnd });
      const run = await query();
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/incomplete\. The chat stream ended without a finish reason/);
    },
  );

  it("--json: the partial answer with finishReason null, complete false and the error", async () => {
    cut({ afterStreamChunks: 2, dropConnection: true });
    const run = await query("--json");
    expect(run.code).toBe(4);
    expect(run.stderr).toBe("");
    const body = JSON.parse(run.stdout);
    expect(body.answer.length).toBeGreaterThan(0);
    expect(body).toMatchObject({
      finishReason: null,
      complete: false,
      error: { code: "STREAM_INTERRUPTED", message: expect.stringMatching(/connection dropped mid-answer/) },
    });
  });

  it("retries once when nothing was shown yet, and the answer is whole (exit 0)", async () => {
    const whole = await fullAnswer();
    cut({ afterStreamChunks: 0, dropConnection: true });
    const run = await query("--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ answer: whole, finishReason: "stop", complete: true, error: null });
    expect(chats()).toHaveLength(2);
  });

  it("stops after one retry when the second stream also breaks before any text (exit 4, named)", async () => {
    cut({ afterStreamChunks: 0, streamEnd: "eof", times: 2 });
    const run = await query();
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^gemindex: The chat stream ended without a finish reason/m);
    expect(chats()).toHaveLength(2);
  });
});

describe("gemindex query: the model stops early", () => {
  it("names an output-limit stop (finish reason length); --json carries it", async () => {
    cut({ afterStreamChunks: 2, streamEnd: "length" });
    const run = await query();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /the answer above is incomplete: it reached the model's output token limit \(finish reason: length\)/,
    );
    cut({ afterStreamChunks: 2, streamEnd: "length" });
    const json = JSON.parse((await query("--json")).stdout);
    expect(json).toMatchObject({ finishReason: "length", complete: false, error: null });
  });

  it("names a safety stop (finish reason content_filter)", async () => {
    cut({ afterStreamChunks: 1, streamEnd: "content_filter" });
    const run = await query();
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/the model's safety filter stopped it \(finish reason: content_filter\)/);
  });
});

describe("answer() events", () => {
  it("ends a broken-off answer with done: the partial text, complete false, the error, finishReason null", async () => {
    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    try {
      cut({ afterStreamChunks: 3, message: "Internal error.", status: 500 });
      const events: AnswerEvent[] = [];
      for await (const event of index.answer("When does the harbour master ring the bell?", { k: 1 }))
        events.push(event);
      const done = events.at(-1) as Extract<AnswerEvent, { type: "done" }>;
      const deltas = events.filter((event) => event.type === "text-delta");
      expect(deltas).toHaveLength(3);
      expect(done).toMatchObject({ type: "done", finishReason: null, complete: false });
      expect(done.text).toBe(deltas.map((event) => (event as { text: string }).text).join(""));
      expect(done.interrupted).toBeInstanceOf(StreamInterruptedError);
      expect(done.interrupted!.googleStatus).toBe("INTERNAL");
    } finally {
      await index.close();
    }
  });
});

describe("gemindex chat: a stream that breaks off", () => {
  it("shows the partial answer and the failure, answers the next question, and exits 4", async () => {
    cut({ afterStreamChunks: 2, dropConnection: true });
    const stdin = new PassThrough();
    let stdout = "";
    let stderr = "";
    const code = runCli(["--db", workspace.db, "chat", "-k", "1"], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
      env: env(),
      cwd: workspace.corpus,
      stdin,
    });
    stdin.end("When does the bell ring?\nWhen does the ferry dock?\n");
    expect(await code).toBe(4);
    expect(stderr).toMatch(/gemindex: the answer above is incomplete\. The chat stream broke off/);
    expect(stdout).toContain("> When does the ferry dock?");
    expect(chats()).toHaveLength(2);
    // The broken answer is not sent back as history with the second question.
    const second = chats()[1]!.body as { messages: Array<{ role: string }> };
    expect(second.messages.filter((message) => message.role === "assistant")).toHaveLength(0);
  });
});
