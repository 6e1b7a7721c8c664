/** What a command may touch of the outside world; bin.ts builds it from `process`, tests build fakes. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Lines typed by the user (`gemindex chat`); bin.ts passes process.stdin, tests a scripted stream. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C / SIGTERM: commands commit finished work and stop. */
  signal?: AbortSignal;
}

/** Options every command shares. */
export interface GlobalOptions {
  db?: string;
  json?: boolean;
  quiet?: boolean;
}
