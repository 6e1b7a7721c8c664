import { type ChildProcess, fork } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const contenderScript = path.resolve(import.meta.dirname, "../support/lock-contender.ts");
const contenders = 6;
const trials = 200;

let workspace: Workspace;
let children: ChildProcess[] = [];

/** Resolves with the next message of `child` that `accept` takes. */
function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T): Promise<T> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      if (!accept(message)) return;
      child.off("message", listener);
      resolve(message);
    };
    child.on("message", listener);
  });
}

type Outcome = { trial: number; won: boolean; code?: string };
const isOutcome = (message: unknown): message is Outcome => typeof message === "object" && message !== null;
const is =
  <T extends string>(value: T) =>
  (message: unknown): message is T =>
    message === value;

beforeAll(async () => {
  workspace = await makeWorkspace();
  await mkdir(workspace.db, { recursive: true });
  children = Array.from({ length: contenders }, () =>
    fork(contenderScript, [workspace.db], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    }),
  );
  await Promise.all(children.map((child) => nextMessage(child, is("ready"))));
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill();
  await workspace.cleanup();
});

describe("taking over a stale write lock", () => {
  it(`lets exactly one of ${contenders} simultaneous writers win, in each of ${trials} trials`, async () => {
    const lockFile = path.join(workspace.db, ".gemindex-write.lock");
    const doubleWins: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      // A lock left by a process that no longer runs on this host (kill -9, power loss).
      for (const name of await readdir(workspace.db)) await rm(path.join(workspace.db, name), { force: true });
      await writeFile(
        lockFile,
        JSON.stringify({
          pid: 2 ** 22 + 12_345,
          hostname: hostname(),
          startedAt: "2026-01-01T00:00:00Z",
          purpose: "gone",
        }),
      );
      const outcomes = await Promise.all(
        children.map((child) => {
          const outcome = nextMessage(child, isOutcome);
          child.send({ trial });
          return outcome;
        }),
      );
      const winners = outcomes.filter((outcome) => outcome.won).length;
      if (winners !== 1) doubleWins.push(trial);
      // Everyone else was told the index is locked, never some other failure.
      for (const outcome of outcomes) if (!outcome.won) expect(outcome.code).toBe("LOCKED");
    }
    expect(doubleWins).toEqual([]);
  }, 120_000);
});
