import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { Store } from "../../src/store/open-store.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
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
  // 30 documents × ~12 chunks: with 60-input requests that is a run of several requests and commits.
  for (let doc = 0; doc < 30; doc++) {
    const sections = Array.from(
      { length: 12 },
      (_, s) =>
        `## Part ${s}\n\nDocument ${doc} part ${s} talks about topic t${doc}x${s} and nothing else, at some length ` +
        `to fill a chunk.`,
    );
    await workspace.write(
      `docs/doc-${String(doc).padStart(2, "0")}.md`,
      `# Document ${doc}\n\n${sections.join("\n\n")}\n`,
    );
  }
});
afterEach(async () => {
  await workspace.cleanup();
});

const chunking = ["--chunk-tokens", "32", "--chunk-overlap", "0"];

/** Starts `gemindex index` as a real process and SIGKILLs it once `after` embedding requests have been answered. */
async function indexAndKill(after: number): Promise<void> {
  const embeddings = () => embeddingRequests(emulator).filter((request) => request.status === 200).length;
  const child = spawn(
    process.execPath,
    [bin, "--db", workspace.db, "index", "docs", ...chunking, "--commit-every", "40", "--concurrency", "1"],
    {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      stdio: "ignore",
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const start = embeddings();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (embeddings() - start >= after) {
        clearInterval(timer);
        child.kill("SIGKILL");
        resolve();
      }
    }, 2);
    child.on("exit", () => {
      clearInterval(timer);
      reject(new Error(`gemindex finished before ${after} requests; make the corpus bigger`));
    });
  });
  await exited;
}

async function reference(): Promise<Awaited<ReturnType<typeof dumpIndex>>> {
  const uri = path.join(workspace.root, "reference");
  const index = await openIndex({ uri, cwd: workspace.corpus, apiKey: emulator.apiKey, baseURL: emulator.baseURL });
  const report = await index.index(["docs"], { chunking: { maxTokens: 32, overlapTokens: 0 } });
  await index.close();
  expect(report.outcome).toBe("completed");
  return dumpIndex(uri);
}

describe("a run killed with SIGKILL", () => {
  // Slow each request a little so the kill lands while work is in flight.
  beforeEach(() => {
    emulator.options.latencyMs = 30;
  });

  for (const after of [1, 3, 6]) {
    it(
      `after ${after} embedding request(s) leaves a consistent index ` +
        `that the next run completes exactly, without paying twice`,
      async () => {
        await indexAndKill(after);
        emulator.options.latencyMs = 0;

        // What survived the kill is consistent: every manifest row's chunks are all there, no duplicates.
        const survived = await dumpIndex(workspace.db).catch(() => ({ chunks: [], documents: [] }));
        const ids = survived.chunks.map((chunk) => chunk.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const document of survived.documents) {
          expect(survived.chunks.filter((chunk) => chunk.path === document.path)).toHaveLength(Number(document.chunks));
        }
        const paidBefore = new Set(survived.chunks.map((chunk) => chunk.hash));

        emulator.reset();
        const index = await openIndex({
          uri: workspace.db,
          cwd: workspace.corpus,
          apiKey: emulator.apiKey,
          baseURL: emulator.baseURL,
        });
        const report = await index.index(["docs"], { chunking: { maxTokens: 32, overlapTokens: 0 } });
        await index.close();
        expect(report.outcome).toBe("completed");
        const embeddedNow = embeddingRequests(emulator).flatMap(requestInputs);

        emulator.reset();
        const expected = await reference();
        const resumed = await dumpIndex(workspace.db);
        expect(resumed.documents).toEqual(expected.documents);
        expect(resumed.chunks).toEqual(expected.chunks);
        // Nothing already written was embedded again.
        expect(embeddedNow.length).toBe(expected.chunks.length - paidBefore.size);
        // The kill really interrupted the run.
        expect(survived.documents.length).toBeLessThan(expected.documents.length);
      },
    );
  }
});

describe("a run that died between its chunk commit and its manifest commit", () => {
  it("is completed by the next run without duplicates and without embedding those chunks again", async () => {
    const options = { cwd: workspace.corpus, apiKey: emulator.apiKey, baseURL: emulator.baseURL };
    const chunking = { maxTokens: 32, overlapTokens: 0 };
    let index = await openIndex({ uri: workspace.db, ...options });
    await index.index(["docs"], { chunking });
    const complete = await dumpIndex(workspace.db);

    // Edit three documents, then reproduce the crash window: their new chunks are committed, the
    // manifest still describes the old versions.
    for (const name of ["doc-03.md", "doc-07.md", "doc-11.md"]) {
      const file = `docs/${name}`;
      await workspace.write(
        file,
        `# Rewritten ${name}\n\nThis document was rewritten about lighthouses and foghorns.\n`,
      );
    }
    emulator.reset();
    const scratch = path.join(workspace.root, "scratch");
    const helper = await openIndex({ uri: scratch, ...options });
    await helper.index(["docs"], { chunking });
    const scratchDump = await dumpIndex(scratch);
    const rewritten = scratchDump.chunks.filter((chunk) => /doc-(03|07|11)\.md#/.test(String(chunk.id)));
    await helper.close();
    const paths = [...new Set(rewritten.map((chunk) => String(chunk.path)))];
    expect(paths).toHaveLength(3);
    // Written through a store handle of the test's own: GemIndex keeps its store private.
    const store = await Store.open(workspace.db);
    await store.replaceChunks(
      paths.map((path) => ({
        path,
        source: String(scratchDump.documents.find((document) => document.path === path)!.source),
        hash: String(scratchDump.documents.find((document) => document.path === path)!.hash),
        chunks: rewritten
          .filter((row) => row.path === path)
          .map((row) => ({
            id: String(row.id),
            path: String(row.path),
            source: String(row.source),
            kind: String(row.kind),
            ordinal: Number(row.ordinal),
            text: String(row.text),
            headings: String(row.headings) ? String(row.headings).split(" > ") : [],
            tokens: Number(row.tokens),
            hash: String(row.hash),
            lineStart: row.line_start === null ? undefined : Number(row.line_start),
            lineEnd: row.line_end === null ? undefined : Number(row.line_end),
            vector: Float32Array.from(row.vector as number[]),
          })),
      })),
    );
    store.close();
    await index.close();

    emulator.reset();
    index = await openIndex({ uri: workspace.db, ...options });
    const report = await index.index(["docs"], { chunking });
    await index.close();
    expect(report.files.changed).toBe(3);
    expect(report.requests).toBe(0);
    const after = await dumpIndex(workspace.db);
    const ids = after.chunks.map((chunk) => chunk.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.chunks.filter((chunk) => /doc-(03|07|11)\.md#/.test(String(chunk.id)))).toHaveLength(rewritten.length);
    expect(after.chunks.length).toBe(
      complete.chunks.length -
        complete.chunks.filter((chunk) => /doc-(03|07|11)\.md#/.test(String(chunk.id))).length +
        rewritten.length,
    );
  });
});

describe("Ctrl-C (SIGINT) during a run", () => {
  it(`lets requests in flight finish, commits complete documents and exits 130; \
the next run pays only for the rest`, async () => {
    emulator.options.latencyMs = 100;
    const child = spawn(
      process.execPath,
      [bin, "--db", workspace.db, "index", "docs", ...chunking, "--commit-every", "40", "--concurrency", "2"],
      {
        cwd: workspace.corpus,
        env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (data) => (stderr += data));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const requests = () => embeddingRequests(emulator);
    while (requests().filter((request) => request.status === 200).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 1));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/finishing work in flight/);
    expect(stderr).toMatch(/Interrupted; finished documents are committed/);
    // Graceful: every request that was sent got its answer (none was cut off), and the run stopped early.
    expect(requests().every((request) => request.status === 200)).toBe(true);
    emulator.options.latencyMs = 0;

    const survived = await dumpIndex(workspace.db);
    expect(new Set(survived.chunks.map((chunk) => chunk.id)).size).toBe(survived.chunks.length);
    for (const document of survived.documents)
      expect(survived.chunks.filter((chunk) => chunk.path === document.path)).toHaveLength(Number(document.chunks));
    expect(survived.documents.length).toBeGreaterThan(0);
    expect(survived.documents.length).toBeLessThan(30);

    emulator.reset();
    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    const report = await index.index(["docs"], { chunking: { maxTokens: 32, overlapTokens: 0 } });
    await index.close();
    expect(report.outcome).toBe("completed");
    const complete = await dumpIndex(workspace.db);
    expect(complete.documents).toHaveLength(30);
    expect(report.chunks.embedded).toBe(
      complete.chunks.length - new Set(survived.chunks.map((chunk) => chunk.hash)).size,
    );
  });
});

describe("a second SIGTERM (or Ctrl-C)", () => {
  it("ends the run at once while requests still hang, and leaves no write lock behind", async () => {
    // Long enough that the graceful stop after the first signal cannot finish during the test.
    emulator.options.latencyMs = 4000;
    const child = spawn(process.execPath, [bin, "--db", workspace.db, "index", "docs", ...chunking], {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(stderr) && resolve();
        child.stderr.on("data", (data) => {
          stderr += data;
          check();
        });
        check();
      });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    while (embeddingRequests(emulator).length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const started = Date.now();
    child.kill("SIGTERM");
    await waitFor(/finishing work in flight/);
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    // Killed by its own SIGTERM, as the shell expects (exit status 143), well before the hanging requests return.
    expect({ code, signal }).toEqual({ code: null, signal: "SIGTERM" });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stderr).toMatch(/SIGTERM received again, quitting now/);
    const lockGone = await access(path.join(workspace.db, ".gemindex-write.lock")).then(
      () => false,
      () => true,
    );
    expect(lockGone).toBe(true);
  });
});
