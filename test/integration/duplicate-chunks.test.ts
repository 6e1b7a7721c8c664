import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  for (let i = 0; i < 10; i++)
    await workspace.write(`docs/note-${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i} and lighthouses.\n`);
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  expect((await index.index(["docs"])).outcome).toBe("completed");
  await index.close();
  emulator.reset();
});
afterEach(async () => {
  await workspace.cleanup();
});

const gemindex = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  });

/** What two writers that both indexed the same folder leave: every chunk row twice. */
async function writeEveryChunkTwice(): Promise<number> {
  const db = await lancedb.connect(workspace.db);
  const chunks = await db.openTable("chunks");
  const rows = await chunks.query().toArray();
  await chunks.add(await chunks.query().toArrow());
  chunks.close();
  db.close();
  return rows.length;
}

describe("chunks written twice (two writers)", () => {
  it("are reported by doctor and removed by the next run, without embedding anything", async () => {
    const before = await dumpIndex(workspace.db);
    const rows = await writeEveryChunkTwice();
    expect((await dumpIndex(workspace.db)).chunks).toHaveLength(rows * 2);

    const doctor = await gemindex("doctor");
    expect(doctor.code).toBe(6);
    expect(doctor.stdout).toMatch(new RegExp(`problem: ${rows} chunk rows \\(in 10 documents\\) are extra copies`));

    const run = await gemindex("index", "docs");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 new, 0 changed, 10 unchanged/);
    expect(run.stderr).toMatch(new RegExp(`${rows} duplicate chunk rows \\(written twice\\) were removed`));
    expect(embeddingRequests(emulator)).toHaveLength(0);
    expect(await dumpIndex(workspace.db)).toEqual(before);
    expect((await gemindex("doctor")).code).toBe(0);
  });

  it("are removed by doctor --repair", async () => {
    const before = await dumpIndex(workspace.db);
    const rows = await writeEveryChunkTwice();
    const repair = await gemindex("doctor", "--repair");
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(new RegExp(`${rows} duplicate chunk rows were removed`));
    expect(await dumpIndex(workspace.db)).toEqual(before);
  });
});
