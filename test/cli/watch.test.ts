import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

// The BUILT executable (npm test builds it first), offline: runs are lexical-only and quick.
const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
const env = { PATH: process.env.PATH ?? "" };

let workspace: Workspace;
beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.write("docs/first.md", "# First\n\nThe harbour bell rings at dawn.\n");
});
afterEach(async () => {
  await workspace.cleanup();
});

/** A running `gemindex …` whose stdout can be awaited line by line. */
function start(args: string[]): {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  line: (pattern: RegExp) => Promise<string>;
} {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: workspace.corpus,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const waiting: Array<{ pattern: RegExp; from: number; resolve: (line: string) => void }> = [];
  const check = () => {
    for (const waiter of [...waiting]) {
      const match = waiter.pattern.exec(output.slice(waiter.from));
      if (!match) continue;
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(match[0]);
    }
  };
  for (const stream of [child.stdout!, child.stderr!])
    stream.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      check();
    });
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    line: (pattern) =>
      new Promise((resolve) => {
        waiting.push({ pattern, from: output.length, resolve });
        check();
      }),
  };
}

describe("gemindex watch", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "indexes, re-indexes after a change, records each run, and exits 0 on %s",
    async (signal) => {
      const watch = start(["--db", "idx", "watch", "docs", "--debounce", "200"]);
      await watch.line(/watching docs\n/);
      await watch.line(/run ended: completed {2}1 new/);
      const second = watch.line(/run ended: completed {2}1 new/);
      await workspace.write("docs/second.md", "# Second\n\nThe ferry leaves at noon.\n");
      await second;
      expect(watch.output()).toMatch(/run started \(1 change\)/);
      const exited = once(watch.child, "exit");
      watch.child.kill(signal);
      const [code] = await exited;
      expect(code).toBe(0);
      expect(watch.stdout()).toMatch(/stopping\n.*stopped\n$/);
      const runs = await promisify(execFile)(process.execPath, [bin, "runs", "--db", "idx"], {
        cwd: workspace.corpus,
        env,
      });
      expect(runs.stdout.trim().split("\n")).toHaveLength(2);
      expect(runs.stdout).toMatch(/ watch {2}completed {2}1 new/);
    },
  );

  it('watches pipelines with "watch": true under gemindex schedule', async () => {
    await workspace.write(
      "pipelines/notes.json",
      JSON.stringify({ name: "notes", sources: [{ root: "../docs" }], index: "../idx", watch: true }),
    );
    const schedule = start(["schedule"]);
    await schedule.line(/notes: watching docs\n/);
    await schedule.line(/notes: run ended: completed {2}1 new/);
    const second = schedule.line(/notes: run ended: completed {2}1 new/);
    await workspace.write("docs/second.md", "# Second\n\nThe ferry leaves at noon.\n");
    await second;
    const exited = once(schedule.child, "exit");
    schedule.child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
  });
});
