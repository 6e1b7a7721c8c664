import type { CliIO, GlobalOptions } from "./io.js";

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts colour, title and
 * clear-screen sequences, BEL rings, CR and backspace overwrite what was printed), DEL, C1
 * controls (U+009B is a one-character CSI on some terminals), the Unicode line and paragraph
 * separators, and bidirectional overrides (text that reads differently from what it is). Tab
 * stays: it moves the cursor, nothing more.
 */
const OTHER_CONTROLS = "\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069";
const CONTROL = new RegExp(`[\\u0000-\\u0008\\u000a-\\u001f${OTHER_CONTROLS}]`, "g");
const CONTROL_BUT_NEWLINE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${OTHER_CONTROLS}]`, "g");

/**
 * Text safe to write to a terminal or a log: every control character becomes a visible escape
 * (`\x1b`, `\x07`, `\n`, `\r`, `\u202e`), so a file name or a document cannot retitle, clear or
 * recolour the terminal, or fake a line of output. `newlines: "keep"` leaves line breaks alone
 * for text that is multi-line by nature (answers, multi-line messages); values shown inside a
 * line (paths, citations, reasons) escape them. `--json` output never goes through this: it
 * keeps exact strings.
 */
export function escapeControl(text: string, options: { newlines?: "keep" | "escape" } = {}): string {
  const pattern = options.newlines === "keep" ? CONTROL_BUT_NEWLINE : CONTROL;
  pattern.lastIndex = 0;
  if (!pattern.test(text)) return text;
  return text.replace(pattern, (character) => {
    if (character === "\n") return "\\n";
    if (character === "\r") return "\\r";
    const code = character.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

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

  /**
   * Human output for stdout (suppressed under --json). Line breaks in `text` are kept and every
   * other control character escaped; values that belong on one line (paths, citations) must be
   * passed through {@link escapeControl} by the caller.
   */
  print(text: string): void {
    const safe = escapeControl(text, { newlines: "keep" });
    if (!this.json) this.#io.stdout.write(safe.endsWith("\n") ? safe : `${safe}\n`);
  }

  /** Streamed human output without a newline (answers); control characters other than line breaks are escaped. */
  stream(text: string): void {
    if (!this.json) this.#io.stdout.write(escapeControl(text, { newlines: "keep" }));
  }

  /** A notice on stderr: one line (line breaks in `text` are escaped), suppressed under --json and --quiet. */
  notice(text: string): void {
    if (!this.json && !this.quiet) this.#io.stderr.write(`gemindex: ${escapeControl(text)}\n`);
  }

  /** A warning that always shows on stderr (unless --json, where it is in the JSON): one line, escaped. */
  warn(text: string): void {
    if (!this.json) this.#io.stderr.write(`gemindex: ${escapeControl(text)}\n`);
  }

  /** The one JSON document of a --json invocation. */
  emitJson(value: unknown): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Raw stderr writes (the progress line draws with escape sequences of its own; pass no document text). */
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
