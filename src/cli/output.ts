import type { CliIO, GlobalOptions } from "./io.js";

/** Writes for one command invocation: JSON on stdout under --json, human text otherwise. */
export class Output {
  readonly #io: CliIO;
  readonly json: boolean;
  readonly quiet: boolean;

  constructor(io: CliIO, options: GlobalOptions) {
    this.#io = io;
    this.json = options.json === true;
    this.quiet = options.quiet === true;
  }

  /** True when a live progress line makes sense (a terminal, not --json or --quiet, not CI). */
  get interactive(): boolean {
    return this.#io.stderr.isTTY === true && !this.json && !this.quiet && !this.#io.env.CI;
  }

  /** Human output for stdout (suppressed under --json). */
  print(text: string): void {
    if (!this.json) this.#io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Streamed human output without a newline (answers). */
  stream(text: string): void {
    if (!this.json) this.#io.stdout.write(text);
  }

  /** A notice on stderr: one line, suppressed under --json and --quiet. */
  notice(text: string): void {
    if (!this.json && !this.quiet) this.#io.stderr.write(`gemindex: ${text}\n`);
  }

  /** A warning that always shows on stderr (unless --json, where it is in the JSON). */
  warn(text: string): void {
    if (!this.json) this.#io.stderr.write(`gemindex: ${text}\n`);
  }

  /** The one JSON document of a --json invocation. */
  emitJson(value: unknown): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Raw stderr writes (progress line). */
  stderr(text: string): void {
    this.#io.stderr.write(text);
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${formatCount(count)} ${count === 1 ? word : pluralWord}`;
}
