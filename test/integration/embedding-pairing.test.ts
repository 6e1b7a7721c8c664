import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { GeminiClient } from "../../src/providers/gemini/client.js";
import { createGeminiEmbedder } from "../../src/providers/gemini/embedder.js";
import { metaKeys } from "../../src/store/meta-keys.js";
import { Store } from "../../src/store/open-store.js";
import { cosineSimilarity, type Emulator, embedText } from "../emulator/index.js";
import { type CompatOnlyServer, startCompatOnlyServer } from "../support/compat-only-server.js";
import { embeddedInputs, embeddingRequests, requestInputs, requestTaskTypes } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let compatOnly: CompatOnlyServer;

useEmulator((started) => (emulator = started));
beforeAll(async () => {
  compatOnly = await startCompatOnlyServer(emulator);
});
afterAll(async () => {
  await compatOnly.close();
});
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  await workspace.write(
    "tides.md",
    "# Tide tables\n\nHigh water at the north jetty is at noon; low water six hours later.\n",
  );
  await workspace.write("ferry.md", "# Ferry\n\nThe ferry to the island leaves the harbour at seven every morning.\n");
});
afterEach(async () => {
  await workspace.cleanup();
});

const cli = (argv: string[], baseURL = emulator.baseURL) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: baseURL },
  });
const compatRequests = () => emulator.requests({ path: /\/openai\/embeddings$/ });
const recordedEmbedding = async () => {
  const store = await Store.open(workspace.db);
  try {
    return (await store.readMeta())!.embedding!;
  } finally {
    store.close();
  }
};
const taskTypes = () => new Set(embeddingRequests(emulator).flatMap(requestTaskTypes));

describe("the default pairing where Gemini's native API exists (gemini-embedding-001)", () => {
  it(`embeds documents as RETRIEVAL_DOCUMENT with their title and queries as RETRIEVAL_QUERY, and \
records it`, async () => {
    expect((await cli(["index", "."])).code).toBe(0);
    const [documents] = embeddingRequests(emulator, { kind: "documents" });
    expect(documents!.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect((documents!.body as { requests: unknown[] }).requests).toContainEqual({
      model: "models/gemini-embedding-001",
      content: { parts: [{ text: expect.stringContaining("High water at the north jetty") }] },
      taskType: "RETRIEVAL_DOCUMENT",
      title: "Tide tables",
      outputDimensionality: 768,
    });
    expect(await recordedEmbedding()).toMatchObject({
      document: { kind: "task-type", value: "RETRIEVAL_DOCUMENT" },
      query: { kind: "task-type", value: "RETRIEVAL_QUERY" },
    });

    const query = await cli(["query", "--no-answer", "--mode", "vector", "when is high water?"]);
    expect(query.code).toBe(0);
    expect(query.stdout.indexOf("tides.md")).toBeLessThan(query.stdout.indexOf("ferry.md"));
    const [asked] = embeddingRequests(emulator, { kind: "query" });
    expect(asked!.body).toEqual({
      content: { parts: [{ text: "when is high water?" }] },
      taskType: "RETRIEVAL_QUERY",
      outputDimensionality: 768,
    });
    expect(compatRequests()).toEqual([]);
  });

  it(`queries pair with the documents: a query of a chunk's own text finds it at similarity 1, which a mixed \
pairing would not`, async () => {
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus, ...keys() });
    await index.index(["."]);
    const text = embeddedInputs(emulator).find((input) => input.includes("ferry to the island"))!;
    const [hit] = (await index.search(text, { mode: "vector", k: 1 })).hits;
    expect(hit!.displayPath).toBe("ferry.md");
    expect(hit!.scores.vector).toBeCloseTo(1, 3);
    // The same query embedded plain (the pairing gemindex used to mix in) scores clearly lower.
    const plain = createGeminiEmbedder(new GeminiClient(keys()), { taskTypes: false });
    const mixed = (await index.search(text, { mode: "vector", k: 1, vector: await plain.embedQuery(text) })).hits[0]!;
    expect(mixed.scores.vector).toBeLessThan(0.95);
    const document = embedText(text, 768, { taskType: "RETRIEVAL_DOCUMENT" });
    expect(cosineSimilarity(document, embedText(text, 768, { taskType: "RETRIEVAL_QUERY" }))).toBeCloseTo(1, 5);
    await index.close();
  });
});

describe("an index recorded with plain text keeps it", () => {
  it(`is indexed and queried as plain text through compat (nothing embedded again), with a notice that --reset \
upgrades it`, async () => {
    expect((await cli(["index", "--task-types", "off", "."])).code).toBe(0);
    expect(taskTypes()).toEqual(new Set([undefined]));
    expect(await recordedEmbedding()).toMatchObject({ document: { kind: "plain" }, query: { kind: "plain" } });

    emulator.reset();
    const unchanged = await cli(["index", "."]);
    expect(unchanged.code).toBe(0);
    expect(embeddingRequests(emulator)).toEqual([]);
    expect(unchanged.stderr).toBe("");

    await workspace.write("lock.md", "# Lock\n\nThe lock gates open two hours before high water.\n");
    const added = await cli(["index", "."]);
    expect(added.code).toBe(0);
    expect(requestInputs(compatRequests()[0]!)).toEqual([expect.stringContaining("lock gates open")]);
    expect(embeddingRequests(emulator).filter((request) => !/\/openai\//.test(request.path))).toEqual([]);
    expect(added.stderr).toContain(
      "This index embeds documents and queries as plain text (it was built that way); new indexes embed documents " +
        "as RETRIEVAL_DOCUMENT with titles, queries as RETRIEVAL_QUERY, the pairing Google documents for retrieval. " +
        "`gemindex index --reset <paths>` rebuilds it that way (every document is embedded again).",
    );

    emulator.reset();
    expect((await cli(["query", "--no-answer", "--mode", "vector", "when do the lock gates open?"])).code).toBe(0);
    expect(requestInputs(compatRequests()[0]!)).toEqual(["when do the lock gates open?"]);
    expect(embeddingRequests(emulator, { kind: "query" })).toEqual([]);

    emulator.reset();
    expect((await cli(["index", "--reset", "."])).code).toBe(0);
    expect(taskTypes()).toEqual(new Set(["RETRIEVAL_DOCUMENT"]));
    expect(embeddedInputs(emulator)).toHaveLength(3);
    expect((await recordedEmbedding()).document).toEqual({ kind: "task-type", value: "RETRIEVAL_DOCUMENT" });
  });

  it(`an index that recorded the old pairing (plain documents, RETRIEVAL_QUERY queries) is told and updated to plain; \
nothing embedded again`, async () => {
    expect((await cli(["index", "--task-types", "off", "."])).code).toBe(0);
    const store = await Store.open(workspace.db);
    const meta = (await store.readMeta())!;
    await store.writeValue(metaKeys.index, {
      ...meta,
      embedding: { ...meta.embedding!, query: { kind: "task-type", value: "RETRIEVAL_QUERY" } },
    });
    store.close();
    emulator.reset();
    const run = await cli(["index", "."]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "The index recorded queries embedded as RETRIEVAL_QUERY; they are now embedded as plain text, " +
        "like its documents (one pairing). No document is embedded again.",
    );
    expect(embeddingRequests(emulator)).toEqual([]);
    expect((await recordedEmbedding()).query).toEqual({ kind: "plain" });
  });
});

describe("task types and the endpoint", () => {
  it("--task-types off on an index recorded with task types is refused for indexing, naming both forms", async () => {
    expect((await cli(["index", "."])).code).toBe(0);
    const refused = await cli(["index", "--task-types", "off", "."]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "is built with gemini-embedding-001 (768 dimensions), documents embedded as RETRIEVAL_DOCUMENT, " +
        "not gemini-embedding-001 (768 dimensions), documents embedded as plain text.",
    );
    expect(refused.stderr).toContain("gemindex index --reset");
  });

  it("an OpenAI-compatible server without native endpoints gets plain text on both sides", async () => {
    expect((await cli(["index", "."], compatOnly.baseURL)).code).toBe(0);
    expect(embeddingRequests(emulator).map((request) => request.path)).toEqual(["/v1beta/openai/embeddings"]);
    expect(await recordedEmbedding()).toMatchObject({ document: { kind: "plain" }, query: { kind: "plain" } });
    const query = await cli(["query", "--no-answer", "--mode", "vector", "when is high water?"], compatOnly.baseURL);
    expect(query.code).toBe(0);
    expect(query.stdout).toContain("tides.md");
  });

  it(`an index recorded with task types, asked through a server without native endpoints, is a configuration error; \
--reset rebuilds it plain`, async () => {
    expect((await cli(["index", "."])).code).toBe(0);
    emulator.reset();
    const expected =
      `embeds documents as RETRIEVAL_DOCUMENT and queries as RETRIEVAL_QUERY, which only Gemini's native API takes; ` +
      `this GEMINI_BASE_URL (${compatOnly.baseURL}) offers only OpenAI-compatible endpoints.`;
    const query = await cli(["query", "--no-answer", "when is high water?"], compatOnly.baseURL);
    expect(query.code).toBe(2);
    expect(query.stderr).toContain(expected);
    const index = await cli(["index", "."], compatOnly.baseURL);
    expect(index.code).toBe(2);
    expect(index.stderr).toContain(expected);
    expect(index.stderr).toContain("gemindex index --reset <paths>");
    expect(embeddingRequests(emulator)).toEqual([]);
    // Lexical search needs no query vector.
    expect((await cli(["query", "--no-answer", "--mode", "lexical", "ferry"], compatOnly.baseURL)).code).toBe(0);

    const rebuilt = await cli(["index", "--reset", "."], compatOnly.baseURL);
    expect(rebuilt.code).toBe(0);
    expect(await recordedEmbedding()).toMatchObject({ document: { kind: "plain" }, query: { kind: "plain" } });
  });

  it(`library: a task-type pairing asked for without native endpoints is refused, never quietly \
another pairing`, () => {
    const client = new GeminiClient({ apiKey: "k", baseURL: compatOnly.baseURL });
    const pairing = {
      document: { kind: "task-type" as const, value: "RETRIEVAL_DOCUMENT" },
      query: { kind: "task-type" as const, value: "RETRIEVAL_QUERY" },
    };
    expect(() => createGeminiEmbedder(client, { pairing })).toThrow(
      expect.objectContaining({ code: "NO_NATIVE_API", message: expect.stringContaining("native endpoints") }),
    );
    expect(createGeminiEmbedder(client).config).toMatchObject({
      document: { kind: "plain" },
      query: { kind: "plain" },
    });
  });
});

function keys() {
  return { apiKey: emulator.apiKey, baseURL: emulator.baseURL };
}
