import { runCli } from "../../src/cli/program.js";

/** The outcome of one in-process CLI invocation. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real commander program in-process with captured output (bin.ts stays out). */
export async function runGemindex(
  argv: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; isTTY?: boolean; signal?: AbortSignal },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.isTTY ?? false },
    env: options.env ?? {},
    cwd: options.cwd,
    signal: options.signal,
  });
  return { code, stdout, stderr };
}
