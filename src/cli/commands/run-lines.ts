import { displayPath, type RunRecord, toErrorInfo, type WatchEvent } from "../../index.js";
import { describeError } from "../describe.js";
import { escapeControl, formatDuration } from "../output.js";

/** One run of the history in a line. */
export function runLine(run: RunRecord): string {
  return `${run.startedAt}  ${run.pipeline}  ${runSummary(run)}`;
}

/** What a run did: `completed  1 new, 0 changed, …  3 requests, 1200 tokens  1.2 s`. */
export function runSummary(run: RunRecord): string {
  const duration = formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt));
  const cost = run.estimatedCostUsd === undefined ? "" : ` ~$${run.estimatedCostUsd.toFixed(4)}`;
  const error = run.error ? ` — ${escapeControl(describeError(run.error))}` : "";
  return (
    `${run.outcome}  ${run.files.new} new, ${run.files.changed} changed, ${run.files.removed} removed, ` +
    (`${run.files.failed} failed${left(run)}  ${run.requests} requests, ` +
      `${run.tokens} tokens${cost}  ${duration}${error}`)
  );
}

/** The line the CLI logs for a watch event (undefined for the ones it does not log). */
export function describeWatchEvent(event: WatchEvent, cwd: string): string | undefined {
  switch (event.type) {
    case "ready":
      return `watching ${event.roots.map((root) => escapeControl(displayPath(root, cwd))).join(", ")}`;
    case "run-start":
      return event.reason === "start"
        ? "run started (catching up with changes made while nothing watched)"
        : `run started (${event.changes} ${event.changes === 1 ? "change" : "changes"})`;
    case "run-end":
      return `run ended: ${runSummary(event.record)}`;
    case "run-error": {
      const retry = event.retryInMs === undefined ? "" : `; trying again in ${Math.round(event.retryInMs / 1000)} s`;
      return `run failed: ${escapeControl(describeError(toErrorInfo(event.error)))}${retry}`;
    }
    case "watch-error":
      return `watching problem: ${escapeControl(event.error.message)}`;
    default:
      return undefined;
  }
}

function left(run: RunRecord): string {
  return run.filesLeft ? `, ${atLeast(run)}${run.filesLeft} left` : "";
}

/** "at least " when a run ended before discovery had walked every source (its count is a lower bound). */
export function atLeast(run: { moreFilesLeft?: boolean }): string {
  return run.moreFilesLeft ? "at least " : "";
}
