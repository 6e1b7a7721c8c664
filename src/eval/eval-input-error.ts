import { ConfigError } from "../errors.js";

/**
 * A BEIR input file that cannot be used: missing, unreadable, or with a malformed line. The
 * message names the file and, for a bad line, its 1-based number (`qrels.tsv:12: …`), so the
 * CLI exits with code 2 and tells the user exactly where to look.
 */
export class EvalInputError extends ConfigError {
  /** The file as given. */
  readonly file: string;
  /** 1-based line of the problem; absent when the whole file is the problem. */
  readonly line?: number;

  constructor(file: string, line: number | undefined, problem: string, options: { cause?: unknown } = {}) {
    super(`${line === undefined ? file : `${file}:${line}`}: ${problem}`, options);
    this.file = file;
    this.line = line;
  }
}
