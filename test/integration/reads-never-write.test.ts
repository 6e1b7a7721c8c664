import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { unprivilegedPrefix } from "../support/as-other-user.js";
import { runGemindex } from "../support/run-cli.js";
import { snapshotTree } from "../support/tree-snapshot.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
let workspace: Workspace;

beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.write(
    "docs/harbour.md",
    "# Harbour\n\nThe harbour lights are checked every evening by the keeper.\n",
  );
  await workspace.write("docs/garden.md", "# Garden\n\nTomatoes want warmth, and water at the roots.\n");
});
afterEach(async () => {
  await execFileAsync("chmod", ["-R", "u+w", workspace.root]);
  await workspace.cleanup();
});

const execFileAsync = promisify(execFile);
const readers = [["status"], ["query", "harbour", "lights"], ["doctor"], ["runs"]];

async function buildIndex(): Promise<void> {
  const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
  expect((await index.index(["docs"])).outcome).toBe("completed");
  await index.close();
}

describe("query, status, doctor and runs", () => {
  it("create nothing in a folder that holds no index", async () => {
    const empty = path.join(workspace.root, "empty");
    await mkdir(empty);
    const codes: number[] = [];
    for (const argv of readers) codes.push((await runGemindex(argv, { cwd: empty })).code);
    // status and runs report an empty index; query and doctor say there is none.
    expect(codes).toEqual([0, 2, 6, 0]);
    expect(await snapshotTree(empty)).toEqual([]);
  });

  it("change nothing in an existing index (every file's size and time stay the same)", async () => {
    await buildIndex();
    const before = await snapshotTree(workspace.db);
    for (const argv of readers) {
      const run = await runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus });
      expect(run.stderr).not.toMatch(/unexpected error/);
    }
    expect(await snapshotTree(workspace.db)).toEqual(before);
  });
});

describe("a read-only index without its full-text index", () => {
  it("is searched by scanning for the query's words, with a notice that says how to build the index", async () => {
    await buildIndex();
    const db = await lancedb.connect(workspace.db);
    await (await db.openTable("chunks")).dropIndex("text_idx");
    db.close();
    // A read-only copy anyone may read (LanceDB writes its files for their owner only).
    await execFileAsync("chmod", ["-R", "a-w,a+rX", workspace.root]);
    const before = await snapshotTree(workspace.db);

    const run = await runGemindex(["--db", workspace.db, "query", "harbour", "lights", "--no-answer"], {
      cwd: workspace.corpus,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    expect(run.stderr).toMatch(/no full-text index yet.*`gemindex optimize`/);
    expect(await snapshotTree(workspace.db)).toEqual(before);

    // Where file modes can stop a writer (not as root), the built executable proves it writes nothing.
    const prefix = unprivilegedPrefix();
    if (prefix) {
      const [command, ...args] = [...prefix, process.execPath, bin, "--db", workspace.db, "query", "harbour", "lights"];
      const { stdout } = await execFileAsync(command!, args, {
        cwd: workspace.corpus,
        env: { PATH: process.env.PATH },
      });
      expect(stdout).toMatch(/^\[1\] docs\/harbour\.md/m);
    }
  });
});
