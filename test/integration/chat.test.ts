import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { countTokens } from "../../src/chunking/tokens.js";
import { runCli } from "../../src/cli/program.js";
import { openIndex } from "../../src/index.js";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  const topics = [
    "harbour tides",
    "lighthouse lamps",
    "ferry schedules",
    "net mending",
    "storm warnings",
    "fish markets",
  ];
  const sections = topics.map((topic, i) =>
    [
      `## ${topic}`,
      "",
      ...Array.from(
        { length: 12 },
        (_, j) => `Rule ${i + 1}.${j + 1} about ${topic}: keepers log every change in the harbour book before sunset.`,
      ),
      "",
    ].join("\n"),
  );
  await workspace.write(
    "handbook.md",
    `# Harbour handbook\n\nThe harbour master signs the handbook every spring.\n\n${sections.join("\n")}`,
  );
  await workspace.write("notes.md", "# Notes\n\nThe lighthouse lamp is cleaned every Tuesday morning by the keeper.\n");
  await workspace.write("ferry.md", "# Ferry\n\nThe ferry to the island leaves at nine and returns at five.\n");
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  expect((await index.index(["."])).outcome).toBe("completed");
  await index.close();
  emulator.log.length = 0;
});
afterEach(async () => {
  await workspace.cleanup();
});

interface ChatRun {
  code: Promise<number>;
  stdin: PassThrough & { isTTY?: boolean };
  stdout: () => string;
  stderr: () => string;
}

/**
 * Starts `gemindex chat` in-process with a scripted stdin. `onStdout` sees every write (to
 * react to the stream, e.g. press Ctrl-C once the answer has begun).
 */
function startChat(
  argv: string[],
  options: {
    env?: Record<string, string>;
    signal?: AbortSignal;
    tty?: boolean;
    onStdout?: (text: string, all: string) => void;
  } = {},
): ChatRun {
  const stdin: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (options.tty) stdin.isTTY = true;
  let out = "";
  let err = "";
  const write = (text: string | Uint8Array) => {
    out += String(text);
    options.onStdout?.(String(text), out);
    return true;
  };
  // On a terminal readline needs a real stream to write prompts and echo to.
  const stdout = options.tty ? Object.assign(new PassThrough(), { write }) : { write };
  const code = runCli(["--db", workspace.db, "chat", ...argv], {
    stdout,
    stderr: { write: (text: string) => (err += text), isTTY: false },
    env: options.env ?? { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
    cwd: workspace.corpus,
    stdin,
    signal: options.signal,
  });
  return { code, stdin, stdout: () => out, stderr: () => err };
}

const chats = () => emulator.requests({ method: "POST", path: "chat/completions" });
const creates = () => emulator.requests({ method: "POST", path: "/v1beta/cachedContents" });
const messagesOf = (request: LoggedRequest) =>
  (request.body as { messages: Array<{ role: string; content: string }> }).messages;
const cachedContentOf = (request: LoggedRequest) =>
  (request.body as { extra_body?: { google?: { cached_content?: string } } }).extra_body?.google?.cached_content;
/** The texts of query embeddings (one-input requests, on whichever endpoint the pairing uses). */
const embeddedQueries = () =>
  embeddingRequests(emulator)
    .map(requestInputs)
    .filter((inputs) => inputs.length === 1)
    .map((inputs) => inputs[0]!);

describe("gemindex chat", () => {
  it(`answers two turns with one cache, sends the first turn as history, retrieves with both questions, \
and exits 0 at EOF`, async () => {
    const run = startChat(["--pin", "handbook.md"]);
    run.stdin.end("When is the lighthouse lamp cleaned?\nAnd when does the ferry leave?\n");
    expect(await run.code).toBe(0);

    expect(creates()).toHaveLength(1);
    expect(chats()).toHaveLength(2);
    const [first, second] = chats() as [LoggedRequest, LoggedRequest];
    const name = cachedContentOf(first);
    expect(name).toMatch(/^cachedContents\//);
    expect(cachedContentOf(second)).toBe(name);

    expect(messagesOf(first).map((message) => message.role)).toEqual(["user"]);
    const history = messagesOf(second);
    expect(history.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
    expect(history[0]!.content).toBe("When is the lighthouse lamp cleaned?");
    expect(history[1]!.content).toMatch(/Tuesday/);
    expect(history[2]!.content).toMatch(/Question: And when does the ferry leave\?$/);

    // The follow-up retrieves with the previous question too.
    expect(embeddedQueries()).toContain("When is the lighthouse lamp cleaned?\nAnd when does the ferry leave?");

    expect(run.stdout()).toContain("[P1] handbook.md (pinned");
    expect(run.stdout()).toContain("> When is the lighthouse lamp cleaned?");
    expect(run.stdout()).toMatch(/Tuesday/);
    expect(run.stdout()).toMatch(/Sources: (\[\d\] \S+ {2})*\[\d\] ferry\.md/);
    expect(run.stderr()).toMatch(/context cache cachedContents\/\w+ created/);
    expect(run.stderr()).toMatch(/from the context cache/);
  });

  it("sends only the newest turns that fit in --history-tokens", async () => {
    emulator.options.chatResponder = (request) => `Answer to: ${request.question.split("Question: ").at(-1)}`;
    const questions = ["When is the lighthouse lamp cleaned?", "When does the ferry leave?", "Who signs the handbook?"];
    // One earlier turn fits, two do not.
    const turnTokens = countTokens(questions[1]!) + countTokens(`Answer to: ${questions[1]}`);
    const run = startChat(["--history-tokens", String(turnTokens + 2)]);
    run.stdin.end(`${questions.join("\n")}\n`);
    expect(await run.code).toBe(0);
    const third = messagesOf(chats()[2]!);
    expect(third.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(third.slice(1, 3).map((message) => message.content)).toEqual([questions[1], `Answer to: ${questions[1]}`]);
  });

  it("ends at /exit without asking what follows", async () => {
    const run = startChat([]);
    run.stdin.end("When is the lighthouse lamp cleaned?\n/exit\nAnd the ferry?\n");
    expect(await run.code).toBe(0);
    expect(chats()).toHaveLength(1);
    expect(creates()).toHaveLength(0);
  });

  it("exits 0 at end of input with no question asked", async () => {
    const run = startChat([]);
    run.stdin.end();
    expect(await run.code).toBe(0);
    expect(chats()).toHaveLength(0);
  });

  it("prints one JSON object with the turns under --json", async () => {
    const stdin = new PassThrough();
    let out = "";
    const code = runCli(["--db", workspace.db, "--json", "chat"], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: () => true },
      env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      cwd: workspace.corpus,
      stdin,
    });
    stdin.end("When is the lighthouse lamp cleaned?\n");
    expect(await code).toBe(0);
    const body = JSON.parse(out) as {
      turns: Array<{ question: string; answer: string; interrupted: boolean; hits: unknown[] }>;
    };
    expect(body.turns).toEqual([
      expect.objectContaining({ question: "When is the lighthouse lamp cleaned?", interrupted: false }),
    ]);
    expect(body.turns[0]!.answer).toMatch(/Tuesday/);
  });

  it(`--agent out of quota: shows the passages a search of the question found, says why, goes on, \
exits 4`, async () => {
    emulator.inject({ status: 429, retryDelay: "86400s", times: 20, path: /chat\/completions$/ });
    const run = startChat(["--agent"]);
    run.stdin.end("When is the lighthouse lamp cleaned?\nWhen does the ferry leave?\n");
    expect(await run.code).toBe(4);
    expect(run.stdout()).toMatch(/^Sources: \[1\] notes\.md/m);
    expect(run.stdout()).toMatch(/^Sources: \[1\] ferry\.md/m);
    expect(run.stderr()).toMatch(/quota/);
  });

  it("says chat needs a key and exits 2 without GEMINI_API_KEY", async () => {
    const run = startChat([], { env: {} });
    run.stdin.end("hello?\n");
    expect(await run.code).toBe(2);
    expect(run.stderr()).toMatch(/chat needs GEMINI_API_KEY/);
  });

  /** True once the answer has begun: a write after the "Sources:" line. */
  function answerStarted(): (text: string) => boolean {
    let sources = false;
    return (text) => {
      if (text.includes("Sources:")) {
        sources = true;
        return false;
      }
      return sources && text.trim() !== "";
    };
  }

  it(`stops the answer on Ctrl-C (piped input: the process signal), keeps the session going, \
and leaves no turn in history`, async () => {
    emulator.options.streamChunkDelayMs = 5_000; // the stream stalls after its first chunk until we abort
    const controller = new AbortController();
    const started = answerStarted();
    const run = startChat([], {
      signal: controller.signal,
      onStdout: (text) => {
        if (!controller.signal.aborted && started(text)) {
          emulator.options.streamChunkDelayMs = 0;
          controller.abort(new Error("interrupted by SIGINT"));
        }
      },
    });
    run.stdin.end("When is the lighthouse lamp cleaned?\nWhen does the ferry leave?\n");
    expect(await run.code).toBe(0);
    expect(run.stderr()).toMatch(/answer interrupted/);
    expect(run.stdout()).not.toMatch(/Tuesday/);
    expect(chats()).toHaveLength(2);
    // The interrupted turn is not history.
    expect(messagesOf(chats()[1]!).map((message) => message.role)).toEqual(["system", "user"]);
    expect(run.stdout()).toMatch(/nine/);
  });

  it("on a terminal, Ctrl-C stops the answer and a second Ctrl-C quits with 130", async () => {
    emulator.options.streamChunkDelayMs = 5_000;
    let pressed = 0;
    const started = answerStarted();
    const run = startChat([], {
      tty: true,
      onStdout: (text) => {
        if (pressed === 0 && started(text)) {
          pressed = 1;
          emulator.options.streamChunkDelayMs = 0;
          run.stdin.write("\x03");
        } else if (pressed === 1 && text.includes("> ")) {
          // The prompt is back: the answer stopped.
          pressed = 2;
          run.stdin.write("\x03");
        }
      },
    });
    run.stdin.write("When is the lighthouse lamp cleaned?\r");
    expect(await run.code).toBe(130);
    expect(pressed).toBe(2);
    expect(chats()).toHaveLength(1);
    expect(run.stderr()).toMatch(/answer interrupted/);
    expect(run.stdout()).not.toMatch(/Tuesday/);
  });
});
