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
  await workspace.copyFixture("corpus", "docs");
  await workspace.copyFixture("pdf/handbook.pdf", "docs/handbook.pdf");
});
afterEach(async () => {
  await workspace.cleanup();
});

const offline = (argv: string[]) => runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus });
const online = (argv: string[], key = emulator.apiKey, baseURL = emulator.baseURL) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: key, GEMINI_BASE_URL: baseURL },
  });

describe("gemindex --help", () => {
  it("lists the commands and the environment variables", async () => {
    const run = await offline(["--help"]);
    expect(run.code).toBe(0);
    for (const word of ["index", "query", "status", "GEMINI_API_KEY", "--json"]) expect(run.stdout).toContain(word);
  });

  it("explains each command with examples and exit codes", async () => {
    const run = await offline(["index", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Exit codes/);
    expect(run.stdout).toMatch(/--reset/);
  });

  it("exits 2 on an unknown flag, saying what is wrong", async () => {
    const run = await offline(["query", "--bogus", "x"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--bogus'/);
  });
});

describe("gemindex without an API key", () => {
  it("indexes lexically and answers with cited passages and a one-line notice", async () => {
    const index = await offline(["index", "docs"]);
    expect(index.code).toBe(0);
    expect(index.stdout).toMatch(/Indexed .*: 6 new/);

    const query = await offline(["query", "what lives in tide pools?"]);
    expect(query.code).toBe(0);
    expect(query.stderr.trim().split("\n")).toHaveLength(1);
    expect(query.stderr).toMatch(/no GEMINI_API_KEY/);
    expect(query.stdout).toMatch(/^\[1\] docs\/handbook\.pdf:p3/m);
    expect(query.stdout).not.toMatch(/Answer:/);
  });

  it("prints exactly one JSON object and nothing else under --json", async () => {
    await offline(["index", "docs"]);
    const query = await offline(["--json", "query", "chess openings"]);
    expect(query.stderr).toBe("");
    const body = JSON.parse(query.stdout);
    expect(body.mode).toBe("lexical");
    expect(body.answer).toBeNull();
    expect(body.hits[0]).toMatchObject({ n: 1, path: "docs/handbook.pdf", page: 4, citation: "docs/handbook.pdf:p4" });
    expect(body.notices[0]).toMatchObject({ kind: "lexical-fallback", reason: "no-api-key" });
    expect(body.notices[0].message).toMatch(/GEMINI_API_KEY/);

    const status = await offline(["--json", "status"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ exists: true, documents: 6, embedding: null });
  });

  it(`reports a missing path, a corrupt PDF and a binary file by name and reason, indexes the rest, \
and exits 3`, async () => {
    await workspace.copyFixture("pdf/corrupt.pdf", "docs/broken.pdf");
    await workspace.copyFixture("binary/random.bin", "docs/data.bin");
    const run = await offline(["index", "docs", "missing-folder"]);
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split("\n");
    expect(lines.find((line) => line.includes("missing-folder"))).toMatch(/not found|does not exist/i);
    expect(lines.find((line) => line.includes("broken.pdf"))).toMatch(/PDF/);
    expect(lines.find((line) => line.includes("data.bin"))).toMatch(/binary/);
    expect(run.stdout).toMatch(/6 new, .* 3 failed/);
    const query = await offline(["query", "--no-answer", "solar panels"]);
    expect(query.stdout).toMatch(/handbook\.pdf:p1/);
  });
});

describe("gemindex with an API key (emulator)", () => {
  it("embeds, then streams an answer that cites the numbered sources", async () => {
    expect((await online(["index", "docs"])).code).toBe(0);
    const run = await online(["query", "-k", "3", "how do tide pools survive low tide?"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^\[1\] docs\/handbook\.pdf:p3/m);
    expect(run.stdout).toMatch(/Answer:\n.*\[1\]/);
    const chat = emulator.requests({ path: /chat\/completions$/ });
    expect(chat).toHaveLength(1);
    expect(chat[0]!.body).toMatchObject({ model: "gemini-3-flash-preview", stream: true });
  });

  it("--json carries hits, the answer and token usage", async () => {
    await online(["index", "docs"]);
    const run = await online(["--json", "query", "chess"]);
    const body = JSON.parse(run.stdout);
    expect(body.mode).toBe("hybrid");
    expect(body.answer).toMatch(/\[1\]/);
    expect(body.usage.promptTokens).toBeGreaterThan(0);
    expect(body.usage.outputTokens).toBeGreaterThan(0);
  });

  it("a rejected key stops at once with exit 2 and a message that does not show the key", async () => {
    const key = "AIzaSyWRONG-0000000000000000000";
    const run = await online(["index", "docs"], key);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/API key was rejected.*GEMINI_API_KEY/);
    expect(run.stdout + run.stderr).not.toContain(key);
  });

  it("an unreachable base URL stops with exit 4 and says what to check", async () => {
    const run = await online(["index", "docs"], emulator.apiKey, "http://127.0.0.1:9/v1beta/openai/");
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/Cannot reach http:\/\/127\.0\.0\.1:9\/v1beta\/openai\/.*GEMINI_BASE_URL/);
  });

  it("refuses another model on an existing index, saying how to rebuild it", async () => {
    await online(["index", "docs"]);
    const run = await online(["index", "docs", "--dimensions", "1536"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/built with gemini-embedding-001 \(768 dimensions\).*--reset/);
    const rebuilt = await online(["index", "docs", "--dimensions", "1536", "--reset"]);
    expect(rebuilt.code).toBe(0);
    const status = JSON.parse((await online(["--json", "status"])).stdout);
    expect(status.embedding.dimensions).toBe(1536);
  });
});

describe("the library's facts in the CLI's words", () => {
  it("keeps documents when most files are gone: the library names its option, the CLI says --prune", async () => {
    await offline(["index", "docs"]);
    for (const name of ["guide.md", "notes.txt", "reference.md", "handbook.pdf"])
      await workspace.remove(`docs/${name}`);
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    const report = await index.index(["docs"]);
    await index.close();
    const kept = report.notices.find((notice) => notice.kind === "removals-kept");
    expect(kept).toMatchObject({ reason: "most-gone", documents: 6, gone: 4 });
    expect(kept!.message).not.toMatch(/--/);

    const run = await offline(["index", "docs"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /4 of 6 documents under .* are gone: kept them to be safe \(use --prune to remove them\)/,
    );
    const json = JSON.parse((await offline(["--json", "index", "docs"])).stdout);
    expect(json.notices).toContainEqual(
      expect.objectContaining({ kind: "removals-kept", gone: 4, message: expect.stringMatching(/--prune/) }),
    );
    expect((await offline(["index", "docs", "--prune"])).stdout).toMatch(/4 removed/);
  });
});

describe("gemindex query before any index exists", () => {
  it("says how to create one, with exit 2", async () => {
    const run = await offline(["query", "anything"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no index at .* yet: run `gemindex index <paths>` first/i);
  });
});
