import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { Store } from "../../src/store/open-store.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { EMBEDDING_PATH, embeddingRequests, requestInputs } from "../support/embedding-requests.js";
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

/**
 * Starts `gemindex index` as a real process (2 requests in flight at most) and SIGKILLs it while
 * requests are in flight: once `after` embedding requests have been answered, the service stops
 * answering (the emulator holds every later request), and the kill comes when both places of the
 * window are taken by held requests — so every answer before them has been handled, and whatever
 * the process did with it is what a crash leaves. Returns the inputs of the held requests: those
 * in flight at the kill.
 */
async function indexAndKill(after: number): Promise<string[]> {
  const answered = () => embeddingRequests(emulator).filter((request) => request.status === 200).length;
  const child = spawn(
    process.execPath,
    [bin, "--db", workspace.db, "index", "docs", ...chunking, "--commit-every", "40", "--concurrency", "2"],
    {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      stdio: "ignore",
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const finished = () => new Error(`gemindex finished before ${after} requests; make the corpus bigger`);
  let heldFrom = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(finished());
        return;
      }
      if (heldFrom === 0 && answered() >= after) {
        emulator.hold(EMBEDDING_PATH);
        heldFrom = embeddingRequests(emulator).length;
      }
      if (heldFrom === 0) return;
      const requests = embeddingRequests(emulator);
      const settled = requests.slice(0, heldFrom).every((request) => request.status !== 0);
      const held = requests.length - heldFrom;
      if (settled && held === 2) {
        clearInterval(timer);
        child.kill("SIGKILL");
        resolve();
      }
    }, 2);
  });
  await exited;
  return embeddingRequests(emulator).slice(heldFrom).flatMap(requestInputs);
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
    emulator.options.latencyMs = 20;
  });

  // A kill point leaves at least two requests to hold (the window is 2): at most `after` + 2 are
  // sent before the hold, of the 8 a clean run makes.
  for (const after of [1, 2, 4]) {
    it(`after ${after} answered embedding request(s) leaves a consistent index; the next run completes it \
exactly and pays again only for the inputs in flight at the kill`, async () => {
      const expected = await reference();
      const total = embeddingRequests(emulator).filter((request) => request.status === 200).length;
      expect(total).toBeGreaterThanOrEqual(after + 4);
      emulator.reset();
      const inFlight = await indexAndKill(after);
      const sentBefore = embeddingRequests(emulator).flatMap(requestInputs);
      const answeredBefore = new Set(
        embeddingRequests(emulator)
          .filter((request) => request.status === 200)
          .flatMap(requestInputs),
      );
      emulator.options.latencyMs = 0;

      // What survived the kill is consistent: every manifest row's chunks are all there, no duplicates.
      const survived = await dumpIndex(workspace.db).catch(() => ({ chunks: [], documents: [] }));
      const ids = survived.chunks.map((chunk) => chunk.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const document of survived.documents) {
        expect(survived.chunks.filter((chunk) => chunk.path === document.path)).toHaveLength(Number(document.chunks));
      }
      // The kill really interrupted the run, with requests in flight.
      expect(survived.documents.length).toBeLessThan(expected.documents.length);
      expect(inFlight.length).toBeGreaterThan(0);

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

      const resumed = await dumpIndex(workspace.db);
      expect(resumed.documents).toEqual(expected.documents);
      expect(resumed.chunks).toEqual(expected.chunks);
      // Paid again: only inputs that were in flight at the kill; nothing answered before it.
      const sentAgain = embeddedNow.filter((input) => sentBefore.includes(input));
      expect(sentAgain.length).toBeLessThanOrEqual(inFlight.length);
      expect(sentAgain.filter((input) => answeredBefore.has(input))).toEqual([]);
      // Everything else the re-run sent was never sent before.
      expect(embeddedNow.length - sentAgain.length).toBe(
        expected.chunks.length - new Set([...answeredBefore, ...inFlight]).size,
      );
      if (answeredBefore.size > 0)
        expect(report.notices).toContainEqual(expect.objectContaining({ kind: "vectors-recovered" }));
    });
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
    const paid = new Set(requests().flatMap(requestInputs));
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
    // Nothing paid for before the interruption is paid again: what was not committed comes from the vector log.
    const sent = requests().flatMap(requestInputs);
    expect(sent.filter((input) => paid.has(input))).toEqual([]);
    expect(report.chunks.embedded).toBe(complete.chunks.length - paid.size);
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
