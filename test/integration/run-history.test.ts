import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadPipeline, openIndex, runPipeline } from "../../src/index.js";
import { runGemindex } from "../support/run-cli.js";
import { snapshotTree } from "../support/tree-snapshot.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let workspace: Workspace;

beforeEach(async () => {
  workspace = await makeWorkspace();
  for (let i = 0; i < 10; i++) await workspace.write(`docs/n${i}.md`, `# Note ${i}\n\nNote ${i} is about tides.\n`);
  await workspace.write(
    "pipelines/notes.json",
    JSON.stringify({ name: "notes", sources: [{ root: "../docs" }], index: "../../index", history: { keep: 5 } }),
  );
});
afterEach(async () => {
  await workspace.cleanup();
});

async function metaFragments(): Promise<number> {
  const db = await lancedb.connect(workspace.db);
  const meta = await db.openTable("meta");
  const fragments = (await meta.stats()).fragmentStats.numFragments;
  db.close();
  return fragments;
}

describe("run history and metadata", () => {
  it("a run with nothing to do writes nothing to the index", async () => {
    const first = await runGemindex(["--db", workspace.db, "index", "docs"], { cwd: workspace.corpus });
    expect(first.code).toBe(0);
    const before = await snapshotTree(workspace.db);
    for (let i = 0; i < 3; i++) {
      const again = await runGemindex(["--db", workspace.db, "index", "docs"], { cwd: workspace.corpus });
      expect(again.stdout).toMatch(/0 new, 0 changed, 10 unchanged/);
    }
    expect(await snapshotTree(workspace.db)).toEqual(before);
  });

  it("keeps the last runs of a pipeline (history.keep) and a meta table of a few fragments", async () => {
    const pipeline = await loadPipeline("notes", { cwd: workspace.corpus });
    const started: string[] = [];
    for (let run = 0; run < 40; run++)
      started.push((await runPipeline(pipeline, { cwd: workspace.corpus })).record.startedAt);
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    const runs = await index.runs({ pipeline: "notes", limit: 1000 });
    await index.close();
    // Trimmed back to 5 once 10 more pile up: never more than 15, and always the newest.
    expect(runs.length).toBeGreaterThanOrEqual(5);
    expect(runs.length).toBeLessThanOrEqual(15);
    expect(runs[0]!.startedAt).toBe(started.at(-1));
    expect(runs.map((run) => run.startedAt)).toEqual(started.slice(-runs.length).reverse());
    expect(await metaFragments()).toBeLessThanOrEqual(9);
  });
});
