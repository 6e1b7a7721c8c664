import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storageOptionsFromEnv } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { EMBEDDING_PATH, embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { type ObjectStore, startObjectStore } from "../support/object-store.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
let emulator: Emulator;
let store: ObjectStore;
let workspace: Workspace;
let uri: string;

useEmulator((started) => (emulator = started));
beforeAll(async () => {
  store = await startObjectStore();
});
afterAll(async () => {
  await store?.close();
});
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  // 30 documents × ~12 small chunks: a run of 8 requests and several commits.
  for (let doc = 0; doc < 30; doc++) {
    const sections = Array.from(
      { length: 12 },
      (_, s) =>
        `## Part ${s}\n\nDocument ${doc} part ${s} is about topic t${doc}x${s}, at some length to fill a chunk.`,
    );
    await workspace.write(
      `docs/doc-${String(doc).padStart(2, "0")}.md`,
      `# Document ${doc}\n\n${sections.join("\n\n")}\n`,
    );
  }
  uri = store.uri(`crash-${Date.now()}`);
});
afterEach(async () => {
  emulator.release();
  await workspace.cleanup();
});

const args = ["--db", "", "index", "docs", "--chunk-tokens", "32", "--chunk-overlap", "0", "--commit-every", "40"];

function env(): Record<string, string> {
  const cache = { XDG_CACHE_HOME: path.join(workspace.root, "cache") };
  return { ...store.env(), GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL, ...cache };
}

describe("a run on s3:// killed with SIGKILL", () => {
  it(`keeps the vectors it was paid for in the local cache: the re-run sends again only the inputs \
in flight at the kill`, async () => {
    const answered = () => embeddingRequests(emulator, { status: 200 }).length;
    const argv = [bin, ...args.map((arg) => arg || uri), "--concurrency", "2"];
    const child = spawn(process.execPath, argv, { cwd: workspace.corpus, env: env(), stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    // After two answered requests the service goes quiet; the kill comes once both places of the
    // window are taken by held requests, so every earlier answer was handled.
    let heldFrom = 0;
    while (heldFrom === 0 || embeddingRequests(emulator).length - heldFrom < 2) {
      expect(child.exitCode).toBeNull();
      if (heldFrom === 0 && answered() >= 2) {
        emulator.hold(EMBEDDING_PATH);
        heldFrom = embeddingRequests(emulator).length;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (
      embeddingRequests(emulator)
        .slice(0, heldFrom)
        .some((request) => request.status === 0)
    )
      await new Promise((resolve) => setImmediate(resolve));
    child.kill("SIGKILL");
    await exited;
    const inFlight = embeddingRequests(emulator).slice(heldFrom).flatMap(requestInputs);
    const paid = new Set(embeddingRequests(emulator, { status: 200 }).flatMap(requestInputs));
    expect(inFlight.length).toBeGreaterThan(0);
    expect(paid.size).toBeGreaterThan(0);
    // The vectors were logged in the cache folder, not on the object store.
    expect(await readdir(path.join(workspace.root, "cache", "gemindex", "vector-logs"))).toHaveLength(1);

    emulator.reset();
    const rerun = await runGemindex(["--json", ...args.map((arg) => arg || uri)], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(rerun.code).toBe(0);
    const report = JSON.parse(rerun.stdout) as { notices: Array<{ kind: string; count?: number }> };
    const sent = embeddingRequests(emulator).flatMap(requestInputs);
    // Nothing answered before the kill is paid for again; of what was sent before, only the held inputs.
    expect(sent.filter((input) => paid.has(input))).toEqual([]);
    const before = new Set([...paid, ...inFlight]);
    expect(sent.filter((input) => before.has(input)).length).toBeLessThanOrEqual(inFlight.length);
    expect(report.notices).toContainEqual(expect.objectContaining({ kind: "vectors-recovered" }));

    const remote = await dumpIndex(uri, storageOptionsFromEnv(store.env()));
    expect(remote.documents).toHaveLength(30);
    const ids = remote.chunks.map((chunk) => chunk.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
