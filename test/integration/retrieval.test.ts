import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { type GemIndex, openIndex } from "../../src/index.js";
import { Store } from "../../src/store/open-store.js";
import type { Emulator } from "../emulator/index.js";
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
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  index = await open();
});
afterEach(async () => {
  await index.close();
  await workspace.cleanup();
});

/** Reads the index's tables through a store handle of the test's own (GemIndex keeps its store private). */
async function inspect<T>(read: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(workspace.db);
  try {
    return await read(store);
  } finally {
    store.close();
  }
}

function open(options: { embeddingModel?: string; offline?: boolean } = {}) {
  return openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    baseURL: emulator.baseURL,
    ...(options.offline ? {} : { apiKey: emulator.apiKey }),
    embeddingModel: options.embeddingModel,
  });
}

describe("search modes", () => {
  it("finds the right document in each mode, hybrid by default with a key and lexical without", async () => {
    await index.index(["."]);
    for (const mode of ["vector", "lexical", "hybrid"] as const) {
      const result = await index.search("glacier ice carves U-shaped valleys", { mode });
      expect(result.mode).toBe(mode);
      expect(result.hits[0]!.citation, mode).toBe("manual.pdf:p2");
    }
    expect((await index.search("glacier")).mode).toBe("hybrid");
    const offline = await open({ offline: true });
    const result = await offline.search("glacier", { mode: "hybrid" });
    expect(result.mode).toBe("lexical");
    expect(result.notices).toEqual([expect.objectContaining({ kind: "lexical-fallback", reason: "no-api-key" })]);
    await offline.close();
  });

  it("fuses both rankings: a passage only one engine finds still appears", async () => {
    await index.index(["."]);
    const result = await index.search("seismographs logarithmic magnitude", { mode: "hybrid", k: 5 });
    expect(result.hits[0]!.citation).toBe("manual.pdf:p3");
    expect(result.hits[0]!.scores.vector).toBeGreaterThan(0);
    expect(result.hits[0]!.scores.lexical).toBeGreaterThan(0);
  });

  it("filters by path glob, kind and source", async () => {
    await workspace.write("other/tomatoes.md", "# Tomatoes\n\nTomato plants in the other folder need staking.\n");
    await index.index(["."]);
    const byGlob = await index.search("tomato", { k: 10, filter: { paths: ["notes/**"] } });
    expect(byGlob.hits.map((hit) => hit.displayPath)).toEqual(["notes/garden.md"]);
    const byKind = await index.search("tomato glacier backoff", { k: 10, filter: { kinds: ["pdf"] } });
    expect(new Set(byKind.hits.map((hit) => hit.kind))).toEqual(new Set(["pdf"]));
    const byName = await index.search("tomato", { k: 10, mode: "lexical", filter: { paths: ["*.md"] } });
    expect(byName.hits.map((hit) => hit.displayPath).sort()).toEqual(["notes/garden.md", "other/tomatoes.md"]);
    const roots = await openIndex({
      uri: `${workspace.db}-roots`,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    await roots.index(["notes", "other"]);
    const bySource = await roots.search("tomato", { k: 10, filter: { sources: ["other"] } });
    expect(bySource.hits.map((hit) => hit.displayPath)).toEqual(["other/tomatoes.md"]);
    await roots.close();
  });

  it("keeps lexical search current: rows written after the full-text index was built are found", async () => {
    await index.index(["."]);
    expect((await index.doctor()).fullText.present).toBe(true);
    await workspace.write("late.md", "# Late arrival\n\nThe zeppelin hangar opened on a foggy Tuesday.\n");
    await index.index(["."]);
    const stats = await inspect((store) => store.textIndexStats());
    expect(stats!.unindexed).toBeGreaterThan(0);
    const hit = (await index.search("zeppelin hangar", { mode: "lexical" })).hits[0]!;
    expect(hit.displayPath).toBe("late.md");
  });

  it("embeds queries in the model's query form: a prefix for gemini-embedding-2-preview", async () => {
    await index.close();
    index = await open({ embeddingModel: "gemini-embedding-2-preview" });
    await index.index(["."]);
    emulator.reset();
    const hit = (await index.search("tomato seedlings", { mode: "vector" })).hits[0]!;
    expect(hit.displayPath).toBe("notes/garden.md");
    const [request] = emulator.requests({ path: /\/openai\/embeddings$/ });
    expect((request!.body as { input: string[] }).input).toEqual(["task: search result | query: tomato seedlings"]);
    expect((await index.status()).embedding).toMatchObject({ query: { kind: "prefix" }, document: { kind: "prefix" } });
  });
});

describe("the ANN index", () => {
  async function writeMany(count: number) {
    for (let i = 0; i < count; i++)
      await workspace.write(
        `many/n${i}.md`,
        `# Note ${i}\n\nNote ${i} records observation obs${i} about subject s${i % 17}.\n`,
      );
  }

  it("is built once the index passes the threshold, and returns what exact search returns", async () => {
    await writeMany(300);
    const report = await index.index(["."], { annThreshold: 200 });
    expect(report.outcome).toBe("completed");
    const store = await Store.open(workspace.db);
    onTestFinished(() => store.close());
    const stats = await store.vectorIndexStats();
    expect(stats).toMatchObject({ type: "IVF_RQ" });
    expect(stats!.indexed).toBeGreaterThanOrEqual(300);
    let same = 0;
    for (let i = 0; i < 20; i++) {
      const vector = await (await import("../../src/providers/gemini/index.js"))
        .createGeminiProvider({ apiKey: emulator.apiKey, baseURL: emulator.baseURL })
        .embedder.embedQuery(`observation obs${i * 13}`);
      const exact = await store.vectorSearch(vector, { k: 10, exact: true });
      const ann = await store.vectorSearch(vector, { k: 10 });
      const found = new Set(ann.map((match) => match.id));
      same += exact.filter((match) => found.has(match.id)).length / exact.length;
    }
    expect(same / 20).toBeGreaterThanOrEqual(0.95);
  });

  it("doctor flags a large index without one (exit 6), and optimize fixes it", async () => {
    await writeMany(60);
    await index.index(["."]);
    await index.close();
    const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
    const cli = (args: string[]) => runGemindex(["--db", workspace.db, ...args], { cwd: workspace.corpus, env });
    const sick = await cli(["doctor", "--ann-threshold", "50"]);
    expect(sick.code).toBe(6);
    expect(sick.stdout).toMatch(/problem: .*no ANN index.*gemindex optimize/);
    const optimized = await cli(["optimize", "--ann-threshold", "50"]);
    expect(optimized.code).toBe(0);
    expect(optimized.stdout).toMatch(/ANN index built/);
    const healthy = await cli(["--json", "doctor", "--ann-threshold", "50"]);
    expect(healthy.code).toBe(0);
    const report = JSON.parse(healthy.stdout);
    expect(report).toMatchObject({
      healthy: true,
      fullText: { present: true, coverage: 1 },
      vectorIndex: { present: true },
    });
    expect(report.fragments.small).toBeLessThanOrEqual(1);
    index = await open();
  });

  it("doctor reports a missing index as unhealthy", async () => {
    const run = await runGemindex(["--db", workspace.db, "doctor"], { cwd: workspace.corpus });
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/no index .*gemindex index/);
  });
});
