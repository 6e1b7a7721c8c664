import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { EMBEDDING_PATH, embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options.limits = undefined;
  workspace = await makeWorkspace();
  // 20 documents × 10 sections: about 200 chunks, three requests of at most 100 inputs.
  for (let doc = 0; doc < 20; doc++) {
    const sections = Array.from(
      { length: 10 },
      (_, s) => `## Part ${s}\n\nDocument ${doc} part ${s} covers item i${doc}y${s} in some detail for the test.`,
    );
    await workspace.write(`docs/d${String(doc).padStart(2, "0")}.md`, `# Doc ${doc}\n\n${sections.join("\n\n")}\n`);
  }
});
afterEach(async () => {
  emulator.options.limits = undefined;
  await workspace.cleanup();
});

const chunking = { maxTokens: 32, overlapTokens: 0 };
const open = () =>
  openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
    retry: { baseDelayMs: 10 },
  });
const embeddingCalls = () => embeddingRequests(emulator);

describe("rate limits and quotas", () => {
  it("rides out a storm of 429s, honouring each RetryInfo delay, and completes", async () => {
    emulator.inject({ path: EMBEDDING_PATH, status: 429, retryDelay: "0.05s", times: 6 });
    const index = await open();
    const report = await index.index(["docs"], { chunking, concurrency: 4 });
    await index.close();
    expect(report.error).toBeUndefined();
    const calls = embeddingCalls();
    expect(calls.filter((call) => call.status === 429)).toHaveLength(6);
    const succeeded = calls.filter((call) => call.status === 200).flatMap(requestInputs);
    expect(succeeded.length).toBe(report.chunks.embedded);
    expect(new Set(succeeded).size).toBe(succeeded.length);
  });

  it("stops cleanly when the daily quota is used up, keeps finished work, and the next run resumes", async () => {
    // Every input counts as a request: the first request of 100 inputs uses up the day.
    emulator.options.limits = { "gemini-embedding-001": { rpd: 100 } };
    let index = await open();
    const first = await index.index(["docs"], { chunking, concurrency: 1, commitEvery: 10 });
    // `gemindex status` shows the run as it ended, not as "completed".
    const { lastRun } = await index.status();
    await index.close();
    expect(lastRun).toMatchObject({ outcome: "stopped", error: { code: "QUOTA_EXHAUSTED" } });
    expect(first.outcome).toBe("stopped");
    expect(first.error).toMatchObject({ code: "QUOTA_EXHAUSTED" });
    expect(first.error!.message).toMatch(/daily quota/i);
    // Exactly one paid request, and its documents are committed.
    expect(embeddingCalls().filter((call) => call.status === 200)).toHaveLength(1);
    expect(first.files.new).toBeGreaterThan(0);
    const paid = first.chunks.embedded;

    emulator.advanceTime(24 * 3600 * 1000);
    emulator.reset();
    index = await open();
    const second = await index.index(["docs"], { chunking });
    const status = await index.status();
    await index.close();
    expect(second.outcome).toBe("completed");
    expect(second.files.new).toBe(20 - first.files.new);
    expect(status.documents).toBe(20);
    expect(second.chunks.embedded + paid).toBe(status.chunks);
  });

  it(`the CLI exits 4 with the quota message when the daily quota is gone; status, \
doctor and runs say stopped`, async () => {
    emulator.options.limits = { "gemini-embedding-001": { rpd: 0 } };
    const cli = (args: string[]) =>
      runGemindex(["--db", workspace.db, ...args], {
        cwd: workspace.corpus,
        env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
      });
    const run = await cli(["index", "docs"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/daily quota is used up/);
    expect(run.stdout).toMatch(/^Stopped after indexing .*\n20 files left: run the same command again to continue\./m);

    const status = await cli(["status"]);
    expect(status.stdout).toMatch(/Last run: .*\(stopped, /);
    expect(status.stdout).toMatch(/stopped early with 20 file\(s\) left: The daily quota is used up/);
    const doctor = await cli(["doctor"]);
    expect(doctor.code).toBe(6);
    expect(doctor.stdout + doctor.stderr).toMatch(/The last run \(.*\) stopped early with 20 file\(s\) left/);
  });

  it("rpm counts every input as a request and spaces request starts by their inputs", async () => {
    // Waits move the emulator's clock instead of sleeping, so the spacing is the pacer's schedule,
    // measured on the clock the requests arrive by: 600 inputs a minute is 100 ms per input, far
    // more than any delay in transit on a loaded machine.
    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
      now: () => emulator.now(),
      sleep: async (ms, signal) => {
        signal?.throwIfAborted();
        emulator.advanceTime(ms);
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    // One request at a time: concurrent waits would each move the shared clock.
    const report = await index.index(["docs"], { chunking, rpm: 600, concurrency: 1 });
    await index.close();
    expect(report.outcome).toBe("completed");
    const calls = embeddingCalls();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < calls.length; i++) {
      const inputs = requestInputs(calls[i - 1]!).length;
      expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(inputs * 100 * 0.95);
    }
  });
});
