import type { IndexProgress, RunWait } from "../index.js";
import { formatCount, formatDuration, type Output } from "./output.js";

/**
 * A one-line progress display on a terminal's stderr, redrawn at most every 100 ms and erased
 * at the end. Does nothing when the output is not interactive (pipes, CI, --json, --quiet).
 */
export class ProgressLine {
  readonly #output: Output;
  readonly #started = Date.now();
  #lastDraw = 0;
  #drawn = false;

  constructor(output: Output) {
    this.#output = output;
  }

  update(progress: IndexProgress): void {
    if (!this.#output.interactive) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100 && progress.phase !== "done") return;
    this.#lastDraw = now;
    this.#draw(progress);
  }

  #draw(progress: IndexProgress): void {
    const elapsed = Date.now() - this.#started;
    const parts = [`${progress.phase}`, `${formatCount(progress.filesSeen)} files seen`];
    if (progress.filesToIndex > 0)
      parts.push(`${formatCount(progress.filesIndexed)}/${formatCount(progress.filesToIndex)} indexed`);
    if (progress.requests > 0) {
      const rate = progress.chunksEmbedded / Math.max(elapsed / 1000, 0.001);
      parts.push(
        `${formatCount(progress.chunksEmbedded)} chunks embedded`,
        `${formatCount(progress.requests)} requests`,
        `${formatCount(progress.tokens)} tokens`,
        `${rate.toFixed(0)} chunks/s`,
      );
      const left = progress.filesToIndex - progress.filesIndexed;
      if (left > 0 && progress.filesIndexed > 0)
        parts.push(`ETA ${formatDuration((elapsed / progress.filesIndexed) * left)}`);
    }
    if (progress.waiting) parts.push(describeWait(progress.waiting));
    this.#output.stderr(`\r\x1b[2K${parts.join(" · ")}`);
    this.#drawn = true;
  }

  /** Erases the line. */
  end(): void {
    if (this.#drawn) this.#output.stderr("\r\x1b[2K");
    this.#drawn = false;
  }
}

/** A wait in words: how long, why, and when sending resumes. */
export function describeWait(wait: RunWait): string {
  const why =
    wait.cause === "pacing"
      ? `pacing to the quota of ${formatCount(wait.quota?.perMinute ?? 0)} ` +
        `${wait.quota?.unit === "tokens" ? "tokens" : "requests"}/min`
      : wait.cause === "rate-limited"
        ? "rate limited by the service"
        : "the service is busy or unreachable, retrying";
  const resume = new Date(wait.resumeAt).toLocaleTimeString("en-GB", { hour12: false });
  return `waiting ${formatDuration(wait.delayMs)} (${why}), resuming at ${resume}`;
}

/**
 * Off a terminal (pipes, CI, logs), one stderr line per wait of a second or more, so a run that
 * waits on a quota is never silent: at most one line every `everyMs` unless the cause changes.
 * Nothing under --json or --quiet, and nothing on a terminal (the progress line shows waits).
 */
export class WaitLog {
  readonly #output: Output;
  readonly #everyMs: number;
  #last?: { at: number; cause: RunWait["cause"]; resumeAt: string };

  constructor(output: Output, options: { everyMs?: number } = {}) {
    this.#output = output;
    this.#everyMs = options.everyMs ?? 10_000;
  }

  update(progress: IndexProgress): void {
    const wait = progress.waiting;
    if (!wait || wait.delayMs < 1000 || this.#output.interactive || this.#output.json || this.#output.quiet) return;
    const now = Date.now();
    const last = this.#last;
    if (last && last.resumeAt === wait.resumeAt) return;
    if (last && last.cause === wait.cause && now - last.at < this.#everyMs) return;
    this.#last = { at: now, cause: wait.cause, resumeAt: wait.resumeAt };
    this.#output.notice(describeWait(wait));
  }
}
