import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { fitVector } from "../../src/providers/fit-vector.js";
import { cosineSimilarity, countEmbeddingTokens, type Emulator, embedText } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
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
});
afterEach(async () => {
  emulator.options = {};
  await workspace.cleanup();
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const cli = (args: string[]) => runGemindex(["--db", workspace.db, ...args], { cwd: workspace.corpus, env: env() });
const embeddingCalls = () => embeddingRequests(emulator);
const inputsOf = requestInputs;
/** Layout padding: a run of 4+ identical whitespace or punctuation characters. */
const PADDING = /([^\p{L}\p{N}])\1{3,}/u;

describe("a realistic documentation folder (padded Markdown tables)", () => {
  it(`is indexed end to end: every file, the padding collapsed in what is sent and kept in what is \
stored`, async () => {
    await workspace.copyFixture("realistic-docs", "docs");
    // The Markdown only (realistic-docs.test.ts indexes the whole folder, media and encodings too).
    const run = await cli(["index", "docs", "--include", "**/*.md"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Indexed .*: 7 new, 0 changed, 0 unchanged, 0 removed, 0 failed/);

    const calls = embeddingCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.status === 200)).toBe(true);
    for (const input of calls.flatMap(inputsOf)) expect(input).not.toMatch(PADDING);

    const { chunks, documents } = await dumpIndex(workspace.db);
    expect(documents.map((document) => document.status)).toEqual(Array(7).fill("indexed"));
    // The stored chunks keep the tables as written: sent as they are, several would be over the limit.
    const padded = chunks.filter((chunk) => PADDING.test(String(chunk.text)));
    expect(padded.length).toBeGreaterThan(3);
    expect(Math.max(...padded.map((chunk) => countEmbeddingTokens(String(chunk.text))))).toBeGreaterThan(2048);
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus, ...emulatorSettings() });
    const { hits } = await index.search("which exit code means the archive is unreachable");
    await index.close();
    expect(hits[0]!.displayPath).toBe("docs/cli-reference.md");
    expect(hits[0]!.lineStart).toBeGreaterThan(0);
  });
});

function emulatorSettings() {
  return { apiKey: emulator.apiKey, baseURL: emulator.baseURL, retry: { baseDelayMs: 10 } };
}

describe("an input the service refuses", () => {
  const MARKER = "classified-payload";

  beforeEach(async () => {
    emulator.options.refuseEmbeddingInput = (text) =>
      text.includes(MARKER) ? "Request contains content that cannot be embedded." : undefined;
    for (let i = 0; i < 11; i++)
      await workspace.write(`docs/note-${String(i).padStart(2, "0")}.md`, `# Note ${i}\n\nTide note ${i} is fine.\n`);
    await workspace.write("docs/bad.md", `# Bad\n\nThis note carries a ${MARKER} the service will not embed.\n`);
  });

  it("fails only its file, named with the service's reason; the run completes with exit 3", async () => {
    const run = await cli(["index", "docs"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        String.raw`skipped \S*docs\/bad\.md: embedding refused: 400 INVALID_ARGUMENT: ` +
          String.raw`Request contains content that cannot be embedded\.`,
      ),
    );
    expect(run.stdout).toMatch(/11 new, 0 changed, 0 unchanged, 0 removed, 1 failed/);
    // The refused request was narrowed down; every other input was embedded exactly once.
    const calls = embeddingCalls();
    expect(calls[0]).toMatchObject({ status: 400 });
    expect(inputsOf(calls[0]!)).toHaveLength(12);
    const embedded = calls.filter((call) => call.status === 200).flatMap(inputsOf);
    expect(embedded).toHaveLength(11);
    expect(new Set(embedded).size).toBe(11);
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(12)) + 1);

    const status = await cli(["status"]);
    expect(status.stdout).toMatch(/docs\/bad\.md: embedding refused: 400 INVALID_ARGUMENT/);
  });

  it("is tried again only once it changes, or with --retry-failed", async () => {
    expect((await cli(["index", "docs"])).code).toBe(3);
    emulator.reset();

    const again = await cli(["index", "docs"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/1 file\(s\) that failed before are unchanged and were not tried again/);
    expect(embeddingCalls()).toHaveLength(0);

    const retried = await cli(["index", "docs", "--retry-failed"]);
    expect(retried.code).toBe(3);
    expect(embeddingCalls().map(inputsOf)).toEqual([[expect.stringContaining(MARKER)]]);

    emulator.reset();
    await workspace.write("docs/bad.md", "# Bad\n\nThis note is fine now.\n");
    const fixed = await cli(["index", "docs"]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/0 new, 1 changed/);
    expect((await dumpIndex(workspace.db)).documents.every((document) => document.status === "indexed")).toBe(true);
  });
});

describe("an input the service still calls too long", () => {
  it("is split and its parts' vectors averaged: the chunk keeps its text, nothing is dropped", async () => {
    // The service counts more than the client expects: 300 tokens is its limit here.
    emulator.options.inputTokenLimits = { "gemini-embedding-001": 300 };
    const paragraphs = Array.from(
      { length: 20 },
      (_, i) => `Paragraph ${i} explains how gauge ${i} reports the water level every minute to the archive.`,
    );
    const text = `# Gauges\n\n${paragraphs.join("\n\n")}\n`;
    await workspace.write("docs/gauges.md", text);
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus, ...emulatorSettings() });
    const report = await index.index(["docs"], { chunking: { maxTokens: 1000, overlapTokens: 0 } });
    await index.close();
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ new: 1, failed: 0 });

    const calls = embeddingCalls();
    // Refused whole, as the service counts it over its limit; then sent in parts.
    expect(calls[0]!.status).toBe(400);
    expect(inputsOf(calls[0]!)).toHaveLength(1);
    const parts = calls.filter((call) => call.status === 200).flatMap(inputsOf);
    expect(parts.length).toBeGreaterThan(1);
    const { chunks } = await dumpIndex(workspace.db);
    expect(chunks).toHaveLength(1);
    expect(String(chunks[0]!.text)).toContain(paragraphs[19]);
    expect(parts.join("")).toBe(String(chunks[0]!.text).trim());
    // The vector is the length-weighted mean of the parts' vectors, re-normalised.
    const sum = new Float32Array(768);
    for (const part of parts) {
      const vector = fitVector(embedText(part, 768, { taskType: "RETRIEVAL_DOCUMENT" }), 768, "part");
      for (let d = 0; d < 768; d++) sum[d]! += part.length * vector[d]!;
    }
    const expected = Array.from(fitVector(sum, 768, "expected"));
    expect(cosineSimilarity(chunks[0]!.vector as number[], expected)).toBeGreaterThan(0.9999);
  });
});
