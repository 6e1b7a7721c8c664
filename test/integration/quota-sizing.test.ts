import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type IndexProgress, openIndex } from "../../src/index.js";
import { countEmbeddingTokens, type Emulator, type LoggedRequest } from "../emulator/index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = { tier: "free" };
  workspace = await makeWorkspace();
  // 40 files of 4 sections, ~360 tokens each by the service's count: 160 inputs, ~58K tokens,
  // about two minutes of a free-tier key (100 inputs and 30,000 tokens a minute).
  for (let file = 0; file < 40; file++) {
    const sections = Array.from({ length: 4 }, (_, s) => {
      const body = Array.from(
        { length: 18 },
        (_, n) => `Station ${file}-${s} logs reading ${n} of the tide gauge with its time and level.`,
      ).join(" ");
      return `## Section ${s}\n\n${body}`;
    });
    await workspace.write(`docs/f${String(file).padStart(2, "0")}.md`, `# File ${file}\n\n${sections.join("\n\n")}\n`);
  }
});
afterEach(async () => {
  emulator.options = {};
  await workspace.cleanup();
});

const MINUTE = 60_000;
const embeddingCalls = () => embeddingRequests(emulator);
const inputsOf = requestInputs;
const tokensOf = (call: LoggedRequest) => inputsOf(call).reduce((sum, input) => sum + countEmbeddingTokens(input), 0);

/** An index whose waits move the emulator's clock instead of sleeping (pacing and retries alike). */
function openOnEmulatorClock() {
  return openIndex({
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
}

/** The quota-bound time of what was embedded: the larger of inputs / RPM and tokens / TPM. */
function quotaBoundMs(calls: LoggedRequest[]): number {
  const ok = calls.filter((call) => call.status === 200);
  const inputs = ok.reduce((sum, call) => sum + inputsOf(call).length, 0);
  const tokens = ok.reduce((sum, call) => sum + tokensOf(call), 0);
  return Math.max(inputs / 100, tokens / 30_000) * MINUTE;
}

describe("a free-tier key (100 inputs, 30,000 tokens a minute)", () => {
  it(`indexes with no flags: the first oversize request teaches the quota, then requests fit it, \
in about the quota-bound time`, async () => {
    const index = await openOnEmulatorClock();
    const started = emulator.now();
    const report = await index.index(["docs"], { concurrency: 1 });
    const elapsed = emulator.now() - started;
    await index.close();
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ new: 40, failed: 0 });
    expect(report.notices).toContainEqual(expect.objectContaining({ kind: "quota-learned", tpm: 30_000 }));

    const calls = embeddingCalls();
    const refused = calls.filter((call) => call.status === 429);
    // One request bigger than the whole per-minute token quota, refused once and never sent again.
    expect(refused).toHaveLength(1);
    expect(tokensOf(refused[0]!)).toBeGreaterThan(30_000);
    const after = calls.slice(calls.indexOf(refused[0]!) + 1);
    expect(after.every((call) => call.status === 200)).toBe(true);
    for (const call of after) expect(tokensOf(call)).toBeLessThanOrEqual(3_750);
    expect(after.flatMap(inputsOf)).toHaveLength(160);
    // Wall time on the emulator's clock: within the quota-bound time (smooth pacing, no storm of retries).
    const bound = quotaBoundMs(calls);
    expect(bound).toBeGreaterThan(1.5 * MINUTE);
    expect(bound / elapsed).toBeGreaterThanOrEqual(0.8);
    expect(bound / elapsed).toBeLessThanOrEqual(1.5);
  });

  it("with tier: free sends no request the quota refuses", async () => {
    const index = await openOnEmulatorClock();
    const started = emulator.now();
    const report = await index.index(["docs"], { concurrency: 1, tier: "free" });
    const elapsed = emulator.now() - started;
    await index.close();
    expect(quotaBoundMs(embeddingCalls()) / elapsed).toBeGreaterThanOrEqual(0.8);
    expect(report.outcome).toBe("completed");
    const calls = embeddingCalls();
    expect(calls.every((call) => call.status === 200)).toBe(true);
    for (const call of calls) {
      expect(inputsOf(call).length).toBeLessThanOrEqual(12);
      expect(tokensOf(call)).toBeLessThanOrEqual(3_750);
    }
  });

  it("learns the requests quota too, from the 429 of a request that fits it, and waits it out", async () => {
    // 160 small inputs: the requests quota binds first.
    for (let file = 0; file < 160; file++)
      await workspace.write(`small/n${String(file).padStart(3, "0")}.md`, `Short note ${file} about the tide.\n`);
    const progress: IndexProgress[] = [];
    const index = await openOnEmulatorClock();
    const report = await index.index(["small"], { concurrency: 1, onProgress: (event) => progress.push(event) });
    await index.close();
    expect(report.outcome).toBe("completed");
    expect(report.notices).toContainEqual(expect.objectContaining({ kind: "quota-learned", rpm: 100 }));
    const rateLimited = progress.filter((event) => event.waiting?.cause === "rate-limited");
    expect(rateLimited.length).toBeGreaterThan(0);
    expect(rateLimited[0]!.waiting!.message).toMatch(/429 RESOURCE_EXHAUSTED/);
    expect(
      embeddingCalls()
        .filter((call) => call.status === 200)
        .flatMap(inputsOf),
    ).toHaveLength(160);
  });
});

describe("a stop during a wait", () => {
  it("ends a pacing wait at once: finished documents are committed and the run reports interrupted", async () => {
    const controller = new AbortController();
    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    const started = Date.now();
    const report = await index.index(["docs"], {
      tier: "free",
      signal: controller.signal,
      onProgress: (event) => {
        if (event.waiting?.cause === "pacing" && event.waiting.delayMs > 10_000) controller.abort(new Error("SIGINT"));
      },
    });
    const status = await index.status();
    await index.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.outcome).toBe("interrupted");
    expect(status.documents).toBeGreaterThan(0);
    // Files it had found to index and not finished; discovery streams, so when it had not walked
    // every folder yet the report says more may be left.
    expect(report.filesLeft).toBeGreaterThan(0);
    if (report.moreFilesLeft) expect(report.filesLeft).toBeLessThanOrEqual(40 - status.documents);
    else expect(report.filesLeft).toBe(40 - status.documents);
  });

  it(`the CLI off a terminal prints each wait with its reason and time to resume, \
and SIGTERM ends it with exit 130`, async () => {
    const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
    const child = spawn(process.execPath, [bin, "--db", workspace.db, "index", "docs", "--tier", "free"], {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
    });
    let stderr = "";
    let stdout = "";
    let signalledAt = 0;
    child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
    child.stderr.on("data", (data: Buffer) => {
      stderr += data.toString();
      if (!signalledAt && /waiting .* resuming at/.test(stderr)) {
        signalledAt = Date.now();
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(code).toBe(130);
    expect(stderr).toMatch(
      new RegExp(
        String.raw`gemindex: waiting \d+\.\d s \(pacing to the quota of (30,000 tokens|100 requests)\/min\), ` +
          String.raw`resuming at \d\d:\d\d:\d\d`,
      ),
    );
    expect(stderr).toMatch(/SIGTERM received/);
    // The files found and not finished; "at least" when discovery had not walked every folder yet.
    expect(stdout + stderr).toMatch(/(At least )?\d+ files? left: run the same command again to continue\./);
  });
});
