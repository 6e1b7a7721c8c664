import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MODEL_LIST_MAX_AGE_MS, openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeAll(async () => {
  workspace = await makeWorkspace();
  await workspace.write(
    "tides.md",
    "# Tides\n\nHigh water at the north jetty is at noon; low water six hours later.\n",
  );
  const run = await cli("index", ".");
  expect(run.code).toBe(0);
});
afterAll(async () => {
  await workspace.cleanup();
});
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

function cli(...argv: string[]) {
  return runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  });
}
/** Requests other than the model list: what a refused option must not cost. */
const work = () => emulator.log.filter((request) => !/\/models$/.test(request.path));
const question = "When is high water at the north jetty?";

describe("model ids are checked against the service's list before any request", () => {
  it("a mistyped embedding model: exit 2, the nearest valid id suggested, nothing embedded", async () => {
    const run = await runGemindex(
      ["--db", `${workspace.root}/other-index`, "index", "--model", "gemini-embeding-001", "."],
      {
        cwd: workspace.corpus,
        env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'The service does not offer the embedding model "gemini-embeding-001" to this key (a typo, or a retired ' +
        "model). Did you mean gemini-embedding-001?",
    );
    expect(run.stderr).toContain("`gemindex models` lists the models this key can use.");
    expect(work()).toEqual([]);
  });

  it("a mistyped or retired chat model in query: exit 2 with a suggestion, no question sent", async () => {
    const typo = await cli("query", "--model", "gemini-3-flsh-preview", question);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/chat model "gemini-3-flsh-preview".*Did you mean gemini-3-flash-preview\?/);
    const retired = await cli("--json", "query", "--model", "gemini-1.5-flash", question);
    expect(retired.code).toBe(2);
    expect(JSON.parse(retired.stdout).error).toMatchObject({ code: "UNKNOWN_MODEL", exitCode: 2 });
    expect(work()).toEqual([]);
  });

  it("an embedding model given as the chat model is named as such", async () => {
    const run = await cli("query", "--model", "gemini-embedding-001", question);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/gemini-embedding-001 is not a chat model \(it is listed for embedContent/);
  });

  it(`keeps the list in the index for a day: a run saved it, runs and queries read it, \
a day later it is fetched again`, async () => {
    const now = { value: Date.now() };
    const open = () =>
      openIndex({
        uri: workspace.db,
        cwd: workspace.corpus,
        apiKey: emulator.apiKey,
        baseURL: emulator.baseURL,
        now: () => now.value,
      });
    const lists = () => emulator.requests({ path: /\/v1beta\/models$/ }).length;
    let index = await open();
    // The first run (beforeAll) kept the list: neither a run nor an answer asks for it again.
    await index.index(["."]);
    for await (const _ of index.answer(question, { k: 1 })) {
      // Nothing to do with the events.
    }
    expect(lists()).toBe(0);
    await index.close();
    now.value += MODEL_LIST_MAX_AGE_MS + 1;
    index = await open();
    for await (const _ of index.answer(question, { k: 1 })) {
      // Older than a day: fetched again (and, as this is a reader, not written).
    }
    for await (const _ of index.answer(question, { k: 1 })) {
      // Still not written: a reader asks again.
    }
    expect(lists()).toBe(2);
    await index.index(["."]);
    for await (const _ of index.answer(question, { k: 1 })) {
      // The run fetched and kept it; the answer reads it.
    }
    expect(lists()).toBe(3);
    await index.close();
  });
});

describe("--reasoning-effort is mapped or refused per model before any request", () => {
  it.each([
    [
      "gemini-3-flash-preview",
      'Reasoning effort "none" is not available for gemini-3-flash-preview: Gemini 3 models always think. Use ' +
        '"minimal"',
    ],
    [
      "gemini-2.5-pro",
      'Reasoning effort "none" is not available for gemini-2.5-pro: Gemini 2.5 Pro models always think. Use "low"',
    ],
  ])("refuses none on %s with a clear message (exit 2), nothing sent", async (model, message) => {
    const run = await cli("query", "--model", model, "--reasoning-effort", "none", question);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(work()).toEqual([]);
  });

  it("maps minimal to low on Gemini 2.5 Flash (which has no minimal; the same 1,024-token budget)", async () => {
    const run = await cli(
      "--json",
      "query",
      "-k",
      "1",
      "--model",
      "gemini-2.5-flash",
      "--reasoning-effort",
      "minimal",
      question,
    );
    expect(run.code).toBe(0);
    const [chat] = emulator.requests({ path: /chat\/completions$/ });
    expect(chat!.body).toMatchObject({ reasoning_effort: "low" });
  });

  it("passes none on Gemini 2.5 Flash, which can turn thinking off", async () => {
    const run = await cli("query", "-k", "1", "--model", "gemini-2.5-flash", "--reasoning-effort", "none", question);
    expect(run.code).toBe(0);
    expect(emulator.requests({ path: /chat\/completions$/ })[0]!.body).toMatchObject({ reasoning_effort: "none" });
  });
});

describe("gemindex models", () => {
  it("lists the embedding and chat models the key can use, with token limits and methods", async () => {
    const run = await cli("--json", "models");
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body.embedding).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "gemini-embedding-001",
          inputTokenLimit: 2048,
          methods: expect.arrayContaining(["embedContent"]),
        }),
      ]),
    );
    expect(body.chat).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "gemini-3-flash-preview", inputTokenLimit: 1_048_576, outputTokenLimit: 65_536 }),
      ]),
    );
    const text = await cli("models");
    expect(text.stdout).toMatch(/^Embedding models \(2\):\n {2}gemini-embedding-001 +in 2,048 tokens {2}embedContent/m);
    expect(text.stdout).toMatch(/^Chat models \(5\):/m);
    expect(text.stdout).toMatch(/gemini-2\.5-pro +in 1,048,576 \/ out 65,536 tokens {2}generateContent/);
  });

  it("without a key says it needs one (exit 2)", async () => {
    const run = await runGemindex(["--db", workspace.db, "models"], { cwd: workspace.corpus, env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/needs GEMINI_API_KEY/);
  });
});
