import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { dumpIndex } from "../support/dump-index.js";
import { BATCH_CREATE_PATH, embeddingRequests } from "../support/embedding-requests.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
let emulator: Emulator;
let workspace: Workspace;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options.latencyMs = 0;
  emulator.options.batchDelayMs = 3_600_000;
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
});
afterEach(async () => {
  emulator.options.latencyMs = 0;
  await workspace.cleanup();
});

const isFinalize = (request: LoggedRequest) => request.headers["x-goog-upload-command"]?.includes("finalize") === true;
const isCreate = (request: LoggedRequest) => request.method === "POST" && BATCH_CREATE_PATH.test(request.path);

/** Runs `gemindex index --batch always` and SIGKILLs it as soon as a request matching `when` reaches the service. */
async function indexAndKillAt(when: (request: LoggedRequest) => boolean): Promise<void> {
  // Slow replies so the process is still waiting when the kill lands.
  emulator.options.latencyMs = 300;
  const child = spawn(process.execPath, [bin, "--db", workspace.db, "index", ".", "--batch", "always"], {
    cwd: workspace.corpus,
    env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  while (!emulator.log.some(when)) await new Promise((resolve) => setTimeout(resolve, 1));
  child.kill("SIGKILL");
  await exited;
  emulator.options.latencyMs = 0;
}

async function referenceDump() {
  const uri = path.join(workspace.root, "reference");
  const reference = await openIndex({ uri, cwd: workspace.corpus, apiKey: emulator.apiKey, baseURL: emulator.baseURL });
  await reference.index(["."], { batch: "never" });
  await reference.close();
  return dumpIndex(uri);
}

describe("a Batch API run killed with SIGKILL", () => {
  for (const [moment, when] of [
    ["while uploading (before the job is created)", isFinalize],
    ["while creating the job (the service creates it, the process never hears back)", isCreate],
  ] as const) {
    it(`${moment}: the next collection submits exactly one job and writes what a synchronous run writes`, async () => {
      await indexAndKillAt(when);
      const index = await openIndex({
        uri: workspace.db,
        cwd: workspace.corpus,
        apiKey: emulator.apiKey,
        baseURL: emulator.baseURL,
      });
      const [job] = await index.batchJobs();
      expect(job?.state === "preparing" || job?.state === "uploaded").toBe(true);

      const pending = await index.collectBatches();
      expect(pending.running).toEqual([job!.id]);
      // One create ever reached the service (the killed process's, adopted on resume, or the resumed one).
      expect(emulator.log.filter(isCreate)).toHaveLength(1);
      const listed = await fetch(`${emulator.origin}/v1beta/batches`, {
        headers: { "x-goog-api-key": emulator.apiKey },
      });
      expect(((await listed.json()) as { operations?: unknown[] }).operations).toHaveLength(1);

      const [recorded] = await index.batchJobs();
      emulator.completeBatch(recorded!.batchId!);
      const collected = await index.collectBatches();
      expect(collected.documents).toBe(4);
      expect(emulator.log.filter(isCreate)).toHaveLength(1);
      expect(embeddingRequests(emulator)).toHaveLength(0);
      await index.close();

      emulator.reset();
      const expected = await referenceDump();
      const actual = await dumpIndex(workspace.db);
      expect(actual.documents).toEqual(expected.documents);
      expect(actual.chunks).toEqual(expected.chunks);
    });
  }
});
