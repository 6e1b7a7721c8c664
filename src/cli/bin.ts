#!/usr/bin/env node
/**
 * The `gemindex` executable: the only module that touches `process` (argv, env, signals, exit code).
 */

// LanceDB's Rust core logs deprecation warnings to stderr on every query; users need none of them.
// It reads the variable when it loads, hence the dynamic import below.
process.env.LANCEDB_LOG ??= "error";
const { runCli } = await import("./program.js");

// `gemindex … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals) => {
  signals++;
  if (signals > 1) process.exit(130);
  process.stderr.write(`\ngemindex: ${name} received, finishing work in flight (press Ctrl-C again to quit now)...\n`);
  controller.abort(new Error(`interrupted by ${name}`));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // A getter: touching process.stdin opens it, which only `gemindex chat` needs.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
