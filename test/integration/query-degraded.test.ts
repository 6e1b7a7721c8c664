import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  await workspace.write(
    "docs/harbour.md",
    "# Harbour\n\nThe harbour lights are checked every evening by the keeper.\n",
  );
  await workspace.write("docs/garden.md", "# Garden\n\nTomatoes want warmth, and water at the roots.\n");
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  expect((await index.index(["docs"])).outcome).toBe("completed");
  await index.close();
  emulator.reset();
});
afterEach(async () => {
  await workspace.cleanup();
});

/** A base URL where nothing listens (a port that was free a moment ago). */
async function deadBaseURL(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1beta/openai/`;
}

const query = (baseURL: string, ...extra: string[]) =>
  runGemindex(["--db", workspace.db, "query", "who", "checks", "the", "harbour", "lights?", ...extra], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: baseURL },
  });

/** Indexing words that have no place in a query's message. */
const indexingWords = /finished (work|documents) (is|are) kept|run again later|next run/i;

describe("query when the model API fails", () => {
  it("is unreachable: prints the passages full-text search finds, says why there is no answer, exits 4", async () => {
    const run = await query(await deadBaseURL());
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    expect(run.stdout).not.toMatch(/Answer:/);
    expect(run.stderr).toMatch(/full-text search only/);
    expect(run.stderr).toMatch(
      /No answer: Cannot reach .* The passages above were found without the model \(full-text search\)\./,
    );
    expect(run.stderr).not.toMatch(indexingWords);
  });

  it("is out of quota: the same, in query words, and --json carries the passages with a null answer", async () => {
    const gone = { status: 429, retryDelay: "86400s", times: 20 };
    emulator.inject({ ...gone, path: /:embedContent$/ });
    emulator.inject({ ...gone, path: /chat\/completions$/ });
    const run = await query(emulator.baseURL);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    expect(run.stderr).toMatch(/No answer: the model API's quota is used up .* Ask again when it resets\./);
    expect(run.stderr).not.toMatch(indexingWords);

    emulator.inject({ ...gone, path: /:embedContent$/ });
    emulator.inject({ ...gone, path: /chat\/completions$/ });
    const json = await query(emulator.baseURL, "--json");
    expect(json.code).toBe(4);
    const body = JSON.parse(json.stdout) as { hits: Array<{ path: string }>; answer: null; error: { code: string } };
    expect(body.hits[0]?.path).toBe("docs/harbour.md");
    expect(body.answer).toBeNull();
    expect(body.error.code).toBe("QUOTA_EXHAUSTED");
  });
});

describe("query --agent when the model API fails", () => {
  it("is unreachable: prints the passages full-text search finds, says why there is no answer, exits 4", async () => {
    const run = await query(await deadBaseURL(), "--agent");
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    expect(run.stdout).not.toMatch(/Answer:/);
    expect(run.stderr).toMatch(
      /No answer: Cannot reach .* The passages above were found without the model \(full-text search\)\./,
    );
    expect(run.stderr).not.toMatch(indexingWords);
  });

  it(`is out of quota: prints the passages (vector search still works), exits 4; --json has them and a \
null answer`, async () => {
    emulator.inject({ status: 429, retryDelay: "86400s", times: 20, path: /chat\/completions$/ });
    const run = await query(emulator.baseURL, "--agent");
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    expect(run.stderr).toMatch(
      /No answer: the model API's quota is used up .* The passages above are the index's best matches\. Ask again/,
    );
    expect(run.stderr).not.toMatch(indexingWords);
    // The question was embedded for the passages: the embedding quota is not the chat quota.
    expect(emulator.requests({ path: /:embedContent$|\/embeddings$/ }).length).toBeGreaterThan(0);

    emulator.inject({ status: 429, retryDelay: "86400s", times: 20, path: /chat\/completions$/ });
    const json = await query(emulator.baseURL, "--agent", "--json");
    expect(json.code).toBe(4);
    const body = JSON.parse(json.stdout) as {
      hits: Array<{ path: string }>;
      answer: null;
      error: { code: string; message: string };
      steps: unknown[];
    };
    expect(body.hits[0]?.path).toBe("docs/harbour.md");
    expect(body.answer).toBeNull();
    expect(body.error.code).toBe("QUOTA_EXHAUSTED");
    expect(body.error.message).toMatch(/^No answer: /);
  });

  it(`runs out of quota after the model searched: the passages it found stand, no others are added, \
exits 4`, async () => {
    emulator.options.toolResponder = (request) => {
      if (request.body.tool_choice === "none") return undefined;
      // Every later model request is refused: the daily quota ran out during the first step.
      emulator.inject({ status: 429, retryDelay: "86400s", times: 20, path: /chat\/completions$/ });
      return [{ name: "search", arguments: { query: "garden tomatoes" } }];
    };
    const run = await query(emulator.baseURL, "--agent");
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^\[step 1\] search "garden tomatoes"/m);
    expect(run.stdout).toMatch(/^ {4}\[1\] docs\/garden\.md/m);
    // The passages shown are the model's search, not a second search of the question.
    expect(run.stdout).not.toMatch(/^\[1\]/m);
    expect(run.stderr).toMatch(/No answer: the model API's quota is used up .* The passages above are/);
  });
});
