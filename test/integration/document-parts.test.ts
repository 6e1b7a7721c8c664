import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chunkDocument } from "../../src/chunking/chunk-document.js";
import { openIndex } from "../../src/index.js";
import { loadDocument } from "../../src/loaders/load-document.js";
import type { SourceFile } from "../../src/sources/types.js";
import { metaPrefixes } from "../../src/store/meta-keys.js";
import { Store } from "../../src/store/open-store.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { EMBEDDING_PATH, embeddedInputs, embeddingRequests } from "../support/embedding-requests.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options.latencyMs = 0;
  workspace = await makeWorkspace();
});
afterEach(async () => {
  await workspace.cleanup();
});

const chunking = { maxTokens: 32, overlapTokens: 0 };
const file = "docs/log.txt";

/** A text of `paragraphs` paragraphs (one 32-token chunk each), every one about `topic` and its number. */
function logText(topic: string, paragraphs: number): string {
  return Array.from(
    { length: paragraphs },
    (_, i) => `Entry ${i} of the ${topic} log: the keeper noted ${topic} reading ${i * 7} at the quay.`,
  ).join("\n\n");
}

const options = () => ({ cwd: workspace.corpus, apiKey: emulator.apiKey, baseURL: emulator.baseURL });

async function indexed(uri: string, commitEvery?: number) {
  const index = await openIndex({ uri, ...options() });
  try {
    return await index.index(["docs"], { chunking, ...(commitEvery ? { commitEvery } : {}) });
  } finally {
    await index.close();
  }
}

/** A clean index of the docs as they are now, committed whole, for comparison. */
async function reference() {
  const uri = path.join(workspace.root, "reference");
  expect((await indexed(uri)).outcome).toBe("completed");
  return dumpIndex(uri);
}

async function partsMarkers(uri: string): Promise<string[]> {
  const store = await Store.open(uri);
  try {
    return await store.readKeys(metaPrefixes.parts);
  } finally {
    store.close();
  }
}

describe("a document with more chunks than commitEvery", () => {
  it("is committed in parts: the index is the one a single commit makes, and no marker is left", async () => {
    await workspace.write(file, logText("tide", 150));
    const expected = await reference();
    expect(expected.chunks.length).toBeGreaterThan(100);
    emulator.reset();
    const report = await indexed(workspace.db, 20);
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ new: 1, failed: 0 });
    expect(report.chunks).toEqual({ written: expected.chunks.length, embedded: expected.chunks.length, reused: 0 });
    expect(await dumpIndex(workspace.db)).toEqual(expected);
    expect(await partsMarkers(workspace.db)).toEqual([]);

    // Changed: the new version replaces the old in parts too, reusing vectors of unchanged text.
    await workspace.write(file, `${logText("tide", 150)}\n\n${logText("fog", 60)}`);
    const changed = await reference();
    emulator.reset();
    const again = await indexed(workspace.db, 20);
    expect(again.files).toMatchObject({ changed: 1, failed: 0 });
    expect(again.chunks.embedded).toBe(60);
    expect(await dumpIndex(workspace.db)).toEqual(changed);
    expect(await partsMarkers(workspace.db)).toEqual([]);
  });
});

/**
 * Runs `gemindex index` as a process (2 requests in flight at most) and SIGKILLs it in the middle
 * of a document's parts: after `after` embedding requests were answered the service holds every
 * request, and the kill comes once both places of the window are held (so every answer before
 * was handled) and some part of the new version (`hash`) is in the index.
 */
async function indexAndKillMidParts(after: number, hash: string): Promise<void> {
  const answered = () => embeddingRequests(emulator, { status: 200 }).length;
  const child = spawn(
    process.execPath,
    [bin, "--db", workspace.db, "index", "docs", "--chunk-tokens", "32", "--chunk-overlap", "0"].concat([
      "--commit-every",
      "20",
      "--concurrency",
      "2",
    ]),
    {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      stdio: "ignore",
    },
  );
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let held = false;
  let heldFrom = 0;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gemindex finished before the kill; make the document bigger`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`no part written: ${answered()} answered, ${embeddingRequests(emulator).length} sent`);
    }
    if (!held && answered() >= after) {
      emulator.hold(EMBEDDING_PATH);
      held = true;
      heldFrom = embeddingRequests(emulator).length;
    }
    // Both places of the window (--concurrency 2) taken by held requests: every answer before them was handled.
    const requests = embeddingRequests(emulator);
    const windowFull =
      held && requests.slice(0, heldFrom).every((request) => request.status !== 0) && requests.length - heldFrom === 2;
    if (windowFull && (await writtenRows(hash)).size > 0) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  child.kill("SIGKILL");
  await exited;
}

/** Rows of version `hash` of the document in the index (ordinal → chunk hash). */
async function writtenRows(hash: string): Promise<Map<number, string>> {
  const store = await Store.open(workspace.db);
  try {
    return await store.partRows({ path: path.join(workspace.corpus, file), hash });
  } finally {
    store.close();
  }
}

describe("a run killed with SIGKILL in the middle of a document's parts", () => {
  it(`leaves the old version all readers see; the next run completes the new one without embedding or \
writing again the parts already in the index`, async () => {
    await workspace.write(file, logText("tide", 40));
    expect((await indexed(workspace.db, 20)).outcome).toBe("completed");
    const before = await dumpIndex(workspace.db);
    const text = `${logText("fog", 500)}\n\n${logText("tide", 40)}`;
    await workspace.write(file, text);
    const hash = createHash("sha256").update(text).digest("hex");
    const expected = await reference();
    emulator.reset();
    emulator.options.latencyMs = 20;

    await indexAndKillMidParts(1, hash);
    const present = await writtenRows(hash);
    expect(present.size).toBeGreaterThan(0);
    expect(present.size).toBeLessThan(expected.chunks.length);
    const answeredBefore = new Set(embeddedInputs(emulator, { status: 200 }));
    emulator.options.latencyMs = 0;

    // Consistent: the manifest still describes the old version, and readers see exactly its chunks.
    const index = await openIndex({ uri: workspace.db, ...options() });
    const fog = await index.search("fog", { mode: "lexical", k: 5 });
    expect(fog.hits).toEqual([]);
    const tide = await index.search("tide reading", { mode: "lexical", k: 50 });
    expect(tide.hits.length).toBeGreaterThan(0);
    expect(tide.hits.every((hit) => before.chunks.some((chunk) => chunk.text === hit.text))).toBe(true);
    expect((await dumpIndex(workspace.db)).documents).toEqual(before.documents);
    expect(await partsMarkers(workspace.db)).toHaveLength(1);

    emulator.reset();
    // Vector search too (the held service is released): the nearest chunks are all of the old version.
    const nearest = await index.search("fog log entry", { mode: "vector", k: 50 });
    expect(nearest.hits).toHaveLength(before.chunks.length);
    expect(nearest.hits.every((hit) => before.chunks.some((chunk) => chunk.text === hit.text))).toBe(true);
    const report = await index.index(["docs"], { chunking, commitEvery: 20 });
    await index.close();
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ changed: 1, failed: 0 });
    // Rows already written are neither written nor embedded again; nothing answered before the kill is paid twice.
    expect(report.chunks.written).toBe(expected.chunks.length - present.size);
    const writtenTexts = new Set(
      (await dumpIndex(workspace.db)).chunks.filter((chunk) => present.has(Number(chunk.ordinal))).map((c) => c.text),
    );
    const embeddedNow = embeddedInputs(emulator);
    expect(embeddedNow.filter((input) => writtenTexts.has(input))).toEqual([]);
    expect(embeddedNow.filter((input) => answeredBefore.has(input))).toEqual([]);
    expect(await dumpIndex(workspace.db)).toEqual(expected);
    expect(await partsMarkers(workspace.db)).toEqual([]);
  });
});

describe("a new document killed in the middle of its parts", () => {
  it(`is not seen by readers and doctor finds no orphans; changed again, the next run indexes the new \
content and drops the parts of the old`, async () => {
    const text = logText("fog", 500);
    await workspace.write(file, text);
    const hash = createHash("sha256").update(text).digest("hex");
    emulator.options.latencyMs = 20;
    await indexAndKillMidParts(1, hash);
    expect((await writtenRows(hash)).size).toBeGreaterThan(0);
    emulator.options.latencyMs = 0;

    const index = await openIndex({ uri: workspace.db, ...options() });
    expect((await index.search("fog", { mode: "lexical", k: 5 })).hits).toEqual([]);
    // Its rows are a commit in progress, not orphans (the killed run left its lock, and built no full-text index).
    const health = await index.doctor();
    expect([...health.problems, ...health.warnings].map((notice) => notice.kind).sort()).toEqual([
      "health-full-text",
      "health-lock",
    ]);

    emulator.reset();
    await workspace.write(file, logText("storm", 300));
    const expected = await reference();
    emulator.reset();
    const report = await index.index(["docs"], { chunking, commitEvery: 20 });
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ new: 1, failed: 0 });
    expect((await index.search("storm", { mode: "lexical", k: 5 })).hits).toHaveLength(5);
    await index.close();
    expect(await dumpIndex(workspace.db)).toEqual(expected);
    expect(await partsMarkers(workspace.db)).toEqual([]);
  });
});

describe("a document in parts with a chunk the service refuses", () => {
  it("fails with the reason, counted once; none of its parts stay, and the next run does not retry it", async () => {
    await workspace.write(
      file,
      logText("tide", 150).replace("Entry 120 of the tide log", "Entry 120 FORBIDDEN tide log"),
    );
    emulator.options.refuseEmbeddingInput = (input) =>
      input.includes("FORBIDDEN") ? "Request contains an invalid argument." : undefined;
    const report = await indexed(workspace.db, 20);
    expect(report.files).toMatchObject({ new: 0, failed: 1 });
    expect(report.failures).toEqual([
      { path: path.join(workspace.corpus, file), reason: expect.stringMatching(/^embedding refused: /) },
    ]);
    const dump = await dumpIndex(workspace.db);
    expect(dump.chunks).toEqual([]);
    expect(dump.documents).toEqual([expect.objectContaining({ status: "failed", chunks: 0 })]);
    expect(await partsMarkers(workspace.db)).toEqual([]);
    emulator.reset();
    const again = await indexed(workspace.db, 20);
    expect(again.files).toMatchObject({ unchanged: 1, failed: 0 });
    expect(embeddingRequests(emulator)).toEqual([]);
  });
});

describe("a text file above 4 MiB", () => {
  it("is indexed (streamed window by window, in parts) with exactly the chunks a whole load gives", async () => {
    const text = logText("harbour", 52_000);
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    await workspace.write(file, text);
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    const report = await index.index(["docs"], { chunking: { maxTokens: 512, overlapTokens: 0 } });
    await index.close();
    expect(report.outcome).toBe("completed");
    const whole = await loadDocument(await sourceFileOf(path.join(workspace.corpus, file)));
    expect(whole.stream).toBeUndefined();
    const expected = chunkDocument(whole, { maxTokens: 512, overlapTokens: 0 });
    expect(expected.length).toBeGreaterThan(500);
    const chunks = (await dumpIndex(workspace.db)).chunks.sort((a, b) => Number(a.ordinal) - Number(b.ordinal));
    expect(chunks.map((row) => [Number(row.ordinal), row.text, Number(row.line_start), Number(row.line_end)])).toEqual(
      expected.map((chunk) => [chunk.ordinal, chunk.text, chunk.lineStart, chunk.lineEnd]),
    );
    expect(report.chunks.written).toBe(expected.length);
  });
});

async function sourceFileOf(absolute: string): Promise<SourceFile> {
  const stats = await stat(absolute);
  return {
    path: absolute,
    source: workspace.corpus,
    relativePath: path.relative(workspace.corpus, absolute),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
  };
}
