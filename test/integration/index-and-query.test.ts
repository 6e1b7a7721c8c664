import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthenticationError, type GemIndex, openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { dumpIndex } from "../support/dump-index.js";
import { EMBEDDING_PATH, embeddedInputs, embeddingRequests, requestInputs } from "../support/embedding-requests.js";
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

/** Chunks of one path, read from the tables themselves. */
async function chunksOf(file: string): Promise<number> {
  return (await dumpIndex(workspace.db)).chunks.filter((chunk) => chunk.path === file).length;
}

function open(options: { apiKey?: string } = {}) {
  return openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: options.apiKey ?? emulator.apiKey,
    baseURL: emulator.baseURL,
    retry: { baseDelayMs: 10 },
  });
}

describe("index() then search() against the emulator", () => {
  it("indexes Markdown, code and a multi-page PDF, and finds the right document first, with its page", async () => {
    const report = await index.index(["."]);
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ seen: 4, new: 4, failed: 0 });
    expect(report.chunks.embedded).toBeGreaterThan(4);

    const pdfHit = (await index.search("glacier ice carves valleys", { k: 3 })).hits[0]!;
    expect(pdfHit.displayPath).toBe("manual.pdf");
    expect(pdfHit.page).toBe(2);
    expect(pdfHit.citation).toBe("manual.pdf:p2");

    const mdHit = (await index.search("how often are signing keys rotated?", { k: 3 })).hits[0]!;
    expect(mdHit.displayPath).toBe("guide.md");
    expect(mdHit.headings[0]).toBe("Operations guide");
    expect(mdHit.text).toContain("keyctl rotate");
    expect(mdHit.citation).toMatch(/^guide\.md:L\d+-L\d+$/);

    const codeHit = (await index.search("exponential backoff jitter", { k: 3, mode: "vector" })).hits[0]!;
    expect(codeHit.displayPath).toBe("src/backoff.ts");
  });

  it(`sends what the service requires: documents as RETRIEVAL_DOCUMENT with titles, queries as \
RETRIEVAL_QUERY`, async () => {
    await index.index(["."]);
    const [request] = embeddingRequests(emulator);
    expect(request!.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(request!.headers["x-goog-api-key"]).toBe(emulator.apiKey);
    type Item = { content: { parts: Array<{ text: string }> }; title?: string };
    const items = (request!.body as { requests: Item[] }).requests;
    for (const item of items)
      expect(item).toMatchObject({
        model: "models/gemini-embedding-001",
        taskType: "RETRIEVAL_DOCUMENT",
        outputDimensionality: 768,
      });
    // A document's title (its first H1 here) goes with each of its chunks.
    const guide = items.find((item) => item.content.parts[0]!.text.includes("keyctl rotate"));
    expect(guide!.title).toBe("Operations guide");
    const query = await index.search("tomato seedlings", { mode: "vector" });
    expect(query.hits[0]!.displayPath).toBe("notes/garden.md");
    // The query goes the documented way for those documents: RETRIEVAL_QUERY, one input, the same size.
    const queryRequest = embeddingRequests(emulator, { kind: "query" }).at(-1)!;
    expect(queryRequest.path).toBe("/v1beta/models/gemini-embedding-001:embedContent");
    expect(queryRequest.body).toEqual({
      content: { parts: [{ text: "tomato seedlings" }] },
      taskType: "RETRIEVAL_QUERY",
      outputDimensionality: 768,
    });
    expect(emulator.requests({ path: /\/openai\/embeddings$/ })).toEqual([]);
  });

  it("re-indexing an unchanged folder makes zero embedding requests", async () => {
    await index.index(["."]);
    const before = embeddingRequests(emulator).length;
    const report = await index.index(["."]);
    expect(embeddingRequests(emulator).length).toBe(before);
    expect(report.files).toMatchObject({ unchanged: 4, new: 0, changed: 0 });
    expect(report.requests).toBe(0);
  });

  it("re-embeds only the chunks of an edited file that actually changed", async () => {
    const chunking = { maxTokens: 32, overlapTokens: 0 };
    await index.index(["."], { chunking });
    emulator.reset();
    const file = path.join(workspace.corpus, "guide.md");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("thirty days", "sixty days"));
    const report = await index.index(["."], { chunking });
    expect(report.files).toMatchObject({ changed: 1, unchanged: 3 });
    const inputs = embeddedInputs(emulator);
    expect(inputs.length).toBe(report.chunks.embedded);
    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.every((input) => input.includes("sixty days"))).toBe(true);
    expect(report.chunks.reused).toBeGreaterThan(0);
    const hit = (await index.search("backups kept for sixty days", { k: 1 })).hits[0]!;
    expect(hit.text).toContain("sixty days");
  });

  it("removes a deleted file's chunks from the index", async () => {
    await index.index(["."]);
    const garden = path.join(workspace.corpus, "notes/garden.md").split(path.sep).join("/");
    expect(await chunksOf(garden)).toBeGreaterThan(0);
    await workspace.remove("notes/garden.md");
    const report = await index.index(["."]);
    expect(report.files.removed).toBe(1);
    expect(await chunksOf(garden)).toBe(0);
    const hits = (await index.search("tomato seedlings", { k: 10 })).hits;
    expect(hits.some((hit) => hit.displayPath === "notes/garden.md")).toBe(false);
  });

  it("retries a 429 after the RetryInfo delay, then succeeds", async () => {
    emulator.inject({ path: EMBEDDING_PATH, status: 429, retryDelay: "0.3s", times: 1 });
    const report = await index.index(["."]);
    expect(report.outcome).toBe("completed");
    const [limited, retried] = embeddingRequests(emulator);
    expect(limited!.status).toBe(429);
    expect(retried!.status).toBe(200);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(300);
  });

  it("splits more than 100 chunks into requests of at most 100 inputs", async () => {
    const paragraphs = Array.from(
      { length: 400 },
      (_, i) => `Paragraph ${i} about topic number ${i} with distinct words w${i}x.`,
    );
    await workspace.write("many.md", paragraphs.join("\n\n"));
    const report = await index.index(["."], { chunking: { maxTokens: 32, overlapTokens: 0 } });
    const sizes = embeddingRequests(emulator).map((request) => requestInputs(request).length);
    expect(report.chunks.embedded).toBeGreaterThan(200);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(report.chunks.embedded);
    expect(emulator.log.some((entry) => entry.status === 400)).toBe(false);
  });

  it("stops at once on a bad key with a clear error that does not contain the key", async () => {
    await index.close();
    const badKey = "AIza-not-a-real-key-0123456789";
    index = await open({ apiKey: badKey });
    const report = await index.index(["."]);
    expect(report.outcome).toBe("stopped");
    expect(report.error?.code).toBe("AUTH");
    expect(report.error?.message).toMatch(/API key/);
    expect(report.error?.message).toMatch(/GEMINI_API_KEY/);
    expect(JSON.stringify(report)).not.toContain(badKey);
    expect(embeddingRequests(emulator).length).toBe(1);
    await expect(index.search("tomato", { mode: "vector" })).rejects.toBeInstanceOf(AuthenticationError);
  });
});
