import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const dieScript = path.resolve(import.meta.dirname, "../support/index-then-die.mjs");
let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  for (let i = 0; i < 16; i++)
    await workspace.write(`docs/note-${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i} and harbour lights.\n`);
});
afterEach(async () => {
  await workspace.cleanup();
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const gemindex = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus, env: env() });

describe("a run killed (SIGKILL) after its last commit, before index maintenance", () => {
  it(`leaves maintenance pending: doctor says so, and the next run finishes it although every file is \
unchanged`, async () => {
    const child = spawn(process.execPath, [dieScript, workspace.db, workspace.corpus, "docs", "10"], {
      env: { PATH: process.env.PATH ?? "", ...env() },
      stdio: "ignore",
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, sig) => resolve(sig)),
    );
    expect(signal).toBe("SIGKILL");
    // Every document was committed before the kill.
    expect((await dumpIndex(workspace.db)).documents).toHaveLength(16);

    const doctor = await gemindex("doctor", "--ann-threshold", "10");
    expect(doctor.code).toBe(6);
    expect(doctor.stdout).toMatch(/problem: There is no full-text index.*the next `gemindex index` run builds it/);
    expect(doctor.stdout).toMatch(/problem: 16 chunks and no ANN index/);

    emulator.reset();
    const run = await gemindex("index", "docs", "--ann-threshold", "10");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 new, 0 changed, 16 unchanged/);
    expect(embeddingRequests(emulator)).toHaveLength(0);
    const after = await gemindex("doctor", "--ann-threshold", "10");
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/Full-text: +100% of chunks indexed/);
    expect(after.stdout).toMatch(/ANN index: +IVF_RQ/);
  });
});
