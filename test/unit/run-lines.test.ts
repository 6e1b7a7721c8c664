import { describe, expect, it } from "vitest";
import { runSummary } from "../../src/cli/commands/run-lines.js";
import { type IndexReport, toRunRecord } from "../../src/index.js";

/** A report of a run that stopped early, as IndexRun writes one. */
function stoppedReport(extra: Partial<IndexReport>): IndexReport {
  return {
    outcome: "stopped",
    filesLeft: 5,
    uri: "/tmp/index",
    embedding: null,
    files: { seen: 8, new: 3, changed: 0, unchanged: 0, removed: 0, failed: 0, skipped: 0 },
    startedAt: "2026-12-06T08:00:00.000Z",
    durationMs: 1200,
    requests: 2,
    tokens: 300,
    ...extra,
  } as IndexReport;
}

describe("a run that stopped early, in the run history", () => {
  it("says how many files were left, and 'at least' when discovery had not walked every source", () => {
    const walked = toRunRecord("cli", stoppedReport({}));
    const cut = toRunRecord("cli", stoppedReport({ moreFilesLeft: true }));
    expect(walked.moreFilesLeft).toBeUndefined();
    expect(cut.moreFilesLeft).toBe(true);
    expect(runSummary(walked)).toMatch(/^stopped {2}3 new, .* 0 failed, 5 left {2}2 requests, 300 tokens/);
    expect(runSummary(cut)).toMatch(/^stopped {2}3 new, .* 0 failed, at least 5 left {2}2 requests, 300 tokens/);
  });
});
