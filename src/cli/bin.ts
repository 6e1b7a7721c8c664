#!/usr/bin/env node
/**
 * The `gemindex` executable: the only module that touches `process` (argv, env, signals, exit code).
 */

// LanceDB's Rust core logs deprecation warnings to stderr on every query; users need none of them.
// It reads the variable when it loads, hence the dynamic import below.
process.env.LANCEDB_LOG ??= "error";
const { runCli } = await import("./program.js");
const { releaseWriteLocksSync } = await import("../index.js");

// `gemindex … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/**
 * Ends the process now, whatever it is doing: write locks are removed first, then the signal is
 * raised again with its default action, so the shell sees "killed by SIGINT" (exit status 130)
 * or SIGTERM (143). process.exit() is no way out here: it waits for the thread pool, where a read
 * stuck in the kernel (a dead network mount) would hold it for ever.
 */
function endNow(name: NodeJS.Signals): never {
  releaseWriteLocksSync();
  process.removeAllListeners(name);
  process.kill(process.pid, name);
  // The default action ends the process before this line; should it not, exit the usual way.
  process.exit(128 + (name === "SIGINT" ? 2 : 15));
}

const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals) => {
  signals++;
  if (signals > 1) {
    process.stderr.write(`gemindex: ${name} received again, quitting now.\n`);
    endNow(name);
  }
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
// The command is done; normally the event loop empties and the process ends now. A file read
// abandoned after its timeout may still hold a thread-pool thread in the kernel: then end anyway.
setTimeout(() => {
  process.stderr.write("gemindex: a file read is still stuck in the operating system; ending the process.\n");
  endNow("SIGTERM");
}, 10_000).unref();
