import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Output } from "../../src/cli/output.js";
import { WaitLog } from "../../src/cli/progress.js";
import type { IndexProgress, RunWait } from "../../src/index.js";

function log(options: { json?: boolean; quiet?: boolean; isTTY?: boolean } = {}) {
  let stderr = "";
  const output = new Output(
    {
      stdout: { write: () => true },
      stderr: {
        write: (text: string) => {
          stderr += text;
          return true;
        },
        isTTY: options.isTTY ?? false,
      },
      env: {},
      cwd: "/",
    } as never,
    { json: options.json, quiet: options.quiet },
  );
  return { waits: new WaitLog(output), lines: () => stderr.split("\n").filter(Boolean) };
}

const progress = (waiting: RunWait): IndexProgress => ({
  phase: "indexing",
  filesSeen: 1,
  filesToIndex: 1,
  filesIndexed: 0,
  chunksEmbedded: 0,
  requests: 0,
  tokens: 0,
  waiting,
});
const pacing = (delayMs: number, at: number): RunWait => ({
  cause: "pacing",
  delayMs,
  resumeAt: new Date(at).toISOString(),
  quota: { unit: "tokens", perMinute: 30_000 },
});

describe("WaitLog (waits off a terminal)", () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.parse("2026-01-01T12:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it(`prints a wait with its reason and the time work resumes, at most one line per 10 s unless the cause \
changes`, () => {
    const { waits, lines } = log();
    waits.update(progress(pacing(24_000, Date.now() + 24_000)));
    waits.update(progress(pacing(24_000, Date.now() + 24_000)));
    vi.advanceTimersByTime(5_000);
    waits.update(progress(pacing(20_000, Date.now() + 20_000)));
    waits.update(
      progress({ cause: "rate-limited", delayMs: 30_000, resumeAt: new Date(Date.now() + 30_000).toISOString() }),
    );
    vi.advanceTimersByTime(11_000);
    waits.update(progress(pacing(15_000, Date.now() + 15_000)));
    waits.update(progress(pacing(500, Date.now() + 500)));
    expect(lines()).toHaveLength(3);
    expect(lines()[0]).toMatch(
      /^gemindex: waiting 24\.0 s \(pacing to the quota of 30,000 tokens\/min\), resuming at \d\d:\d\d:\d\d$/,
    );
    expect(lines()[1]).toMatch(/^gemindex: waiting 30\.0 s \(rate limited by the service\), resuming at/);
    expect(lines()[2]).toMatch(/^gemindex: waiting 15\.0 s \(pacing/);
  });

  it("says nothing under --json, --quiet, or on a terminal (the progress line shows waits there)", () => {
    for (const options of [{ json: true }, { quiet: true }, { isTTY: true }]) {
      const { waits, lines } = log(options);
      waits.update(progress(pacing(24_000, Date.now() + 24_000)));
      expect(lines()).toEqual([]);
    }
  });
});
