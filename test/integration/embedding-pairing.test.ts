import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GeminiClient } from "../../src/providers/gemini/client.js";
import { createGeminiEmbedder } from "../../src/providers/gemini/embedder.js";
import { metaKeys } from "../../src/store/meta-keys.js";
import { Store } from "../../src/store/open-store.js";
import type { Emulator } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  await workspace.write(
    "tides.md",
    "# Tide tables\n\nHigh water at the north jetty is at noon; low water six hours later.\n",
  );
});
afterEach(async () => {
  await workspace.cleanup();
});

const cli = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  });
const compatInputs = () =>
  emulator
    .requests({ path: /\/openai\/embeddings$/ })
    .flatMap((request) => (request.body as { input: string[] }).input);

describe("one task-type pairing (gemini-embedding-001: plain text on both sides, in every path)", () => {
  it(`embeds documents and queries the same way: plain text through the compat endpoint, \
no task type anywhere`, async () => {
    expect((await cli("index", ".")).code).toBe(0);
    expect((await cli("query", "--no-answer", "--mode", "vector", "when is high water?")).code).toBe(0);
    expect(compatInputs().at(-1)).toBe("when is high water?");
    expect(compatInputs().some((input) => input.includes("High water at the north jetty"))).toBe(true);
    // No native call carries a task type: queries and documents share the default one.
    expect(emulator.requests({ path: /:(embedContent|batchEmbedContents)$/ })).toEqual([]);
  });

  it(`an index that recorded the old pairing (RETRIEVAL_QUERY queries) is told and updated; \
no document is embedded again`, async () => {
    expect((await cli("index", ".")).code).toBe(0);
    const store = await Store.open(workspace.db);
    const meta = (await store.readMeta())!;
    expect(meta.embedding).toMatchObject({ document: { kind: "plain" }, query: { kind: "plain" } });
    await store.writeValue(metaKeys.index, {
      ...meta,
      embedding: { ...meta.embedding!, query: { kind: "task-type", value: "RETRIEVAL_QUERY" } },
    });
    store.close();
    emulator.reset();
    const run = await cli("index", ".");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "The index recorded queries embedded as RETRIEVAL_QUERY; they are now embedded as plain text, like its " +
        "documents (one pairing). No document is embedded again.",
    );
    expect(emulator.requests({ path: /embed/i })).toEqual([]);
    const again = await Store.open(workspace.db);
    expect((await again.readMeta())!.embedding!.query).toEqual({ kind: "plain" });
    again.close();
  });

  it("an index whose documents were embedded another way is refused, naming both forms", async () => {
    expect((await cli("index", ".")).code).toBe(0);
    const store = await Store.open(workspace.db);
    const meta = (await store.readMeta())!;
    await store.writeValue(metaKeys.index, {
      ...meta,
      embedding: { ...meta.embedding!, document: { kind: "task-type", value: "RETRIEVAL_DOCUMENT" } },
    });
    store.close();
    const refused = await cli("index", ".");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "is built with gemini-embedding-001 (768 dimensions), documents embedded as RETRIEVAL_DOCUMENT, not " +
        "gemini-embedding-001 (768 dimensions), documents embedded as plain text.",
    );
    expect(refused.stderr).toContain("gemindex index --reset");
  });

  it(`a task-type pairing, when chosen, goes native: RETRIEVAL_DOCUMENT with titles, \
RETRIEVAL_QUERY for queries`, async () => {
    const client = new GeminiClient({ apiKey: emulator.apiKey, baseURL: emulator.baseURL });
    const embedder = createGeminiEmbedder(client, {
      pairing: {
        document: { kind: "task-type", value: "RETRIEVAL_DOCUMENT" },
        query: { kind: "task-type", value: "RETRIEVAL_QUERY" },
      },
    });
    const { vectors } = await embedder.embedDocuments(["High water at noon."], { titles: ["Tide tables"] });
    expect(vectors).toHaveLength(1);
    await embedder.embedQuery("when is high water?");
    const [documents] = emulator.requests({ path: /:batchEmbedContents$/ });
    expect((documents!.body as { requests: unknown[] }).requests[0]).toMatchObject({
      taskType: "RETRIEVAL_DOCUMENT",
      title: "Tide tables",
      outputDimensionality: 768,
    });
    expect(emulator.requests({ path: /:embedContent$/ })[0]!.body).toMatchObject({ taskType: "RETRIEVAL_QUERY" });
    expect(emulator.requests({ path: /\/openai\/embeddings$/ })).toEqual([]);
    // Without native endpoints there are no task types: plain text on both sides, never a mix.
    const other = new GeminiClient({ apiKey: "k", baseURL: "http://127.0.0.1:9/v1/" });
    expect(createGeminiEmbedder(other, { pairing: embedder.config }).config).toMatchObject({
      document: { kind: "plain" },
      query: { kind: "plain" },
    });
  });
});
