import type { IndexProgress } from "../index.js";
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
    if (progress.retrying)
      parts.push(`waiting ${formatDuration(progress.retrying.delayMs)} (rate limited or server busy)`);
    this.#output.stderr(`\r\x1b[2K${parts.join(" · ")}`);
    this.#drawn = true;
  }

  /** Erases the line. */
  end(): void {
    if (this.#drawn) this.#output.stderr("\r\x1b[2K");
    this.#drawn = false;
  }
}
