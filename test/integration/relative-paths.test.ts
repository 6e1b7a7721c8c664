import { cp, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddedInputs } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir, makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
});
afterEach(async () => {
  await workspace.cleanup();
});

const gemindex = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  });
const sentInputs = () => embeddedInputs(emulator);

describe("a moved folder", () => {
  beforeEach(async () => {
    for (let i = 0; i < 8; i++)
      await workspace.write(`docs/note-${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i} and lighthouses.\n`);
    expect((await gemindex("index", "docs")).code).toBe(0);
    emulator.reset();
  });

  it("is recognised at its new place: nothing added or embedded again, citations show where it is now", async () => {
    await rename(path.join(workspace.corpus, "docs"), path.join(workspace.corpus, "archive"));
    const run = await gemindex("index", "archive");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 new, 0 changed, 8 unchanged, 0 removed/);
    expect(run.stderr).toMatch(/docs is now at .*archive: its 8 documents are cited there/);
    expect(sentInputs()).toHaveLength(0);
    const query = await gemindex("query", "subject", "s5", "--no-answer", "-k", "3");
    expect(query.stdout).toMatch(/^\[1\] archive\/note-5\.md/m);
    expect(query.stdout).not.toMatch(/docs\//);
    // One copy of every document, under the new place.
    const dump = await dumpIndex(workspace.db);
    expect(dump.documents).toHaveLength(8);
    expect(dump.documents.every((document) => String(document.path).includes("/archive/"))).toBe(true);
    expect((await gemindex("doctor")).code).toBe(0);
  });

  it("that is gone is reported by doctor, and --prune-missing removes its documents", async () => {
    await rm(path.join(workspace.corpus, "docs"), { recursive: true });
    const doctor = await gemindex("doctor");
    expect(doctor.code).toBe(6);
    expect(doctor.stdout).toMatch(/problem: 8 documents were indexed from .*\/docs, which no longer exists/);
    expect(doctor.stdout).toMatch(/gemindex doctor --prune-missing/);
    const prune = await gemindex("doctor", "--prune-missing");
    expect(prune.stdout).toMatch(/Pruned: +8 documents of .*\/docs, which no longer exists/);
    expect(prune.code).toBe(0);
    expect((await dumpIndex(workspace.db)).documents).toHaveLength(0);
  });
});

describe("an index built with absolute paths (layout 3)", () => {
  it("is migrated by the next run without embedding anything, and its moved root found by content", async () => {
    // test/fixtures/index-v3 was built by gemindex at layout 3 from test/fixtures/corpus placed at
    // /tmp/gemindex-v3-fixture/corpus, a folder that no longer exists.
    const oldRoot = "/tmp/gemindex-v3-fixture/corpus";
    expect(
      await stat(oldRoot).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    await cp(path.join(fixturesDir, "index-v3"), workspace.db, { recursive: true });
    await cp(path.join(fixturesDir, "corpus"), path.join(workspace.corpus, "docs"), { recursive: true });

    // Readers use it as it is: citations name where it was built.
    const before = await gemindex("query", "tide", "table", "--no-answer", "-k", "1");
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(oldRoot);
    const doctor = await gemindex("doctor");
    expect(doctor.stdout).toMatch(
      /note: +The index has layout version 3: the next `gemindex index` run migrates it to 4/,
    );

    emulator.reset();
    const run = await gemindex("index", "docs");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 new, 0 changed, 5 unchanged, 0 removed/);
    expect(run.stderr).toMatch(/migrated from layout 3 to 4/);
    expect(run.stderr).toMatch(/corpus is now at .*\/docs: its 5 documents are cited there/);
    expect(sentInputs()).toHaveLength(0);

    const after = await gemindex("query", "tide", "table", "--no-answer", "-k", "1");
    expect(after.stdout).toMatch(/^\[1\] docs\//m);
    const healthy = await gemindex("doctor");
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).not.toMatch(/layout version/);
    const dump = await dumpIndex(workspace.db);
    expect(dump.documents).toHaveLength(5);
    expect(dump.chunks.every((chunk) => Array.isArray(chunk.vector) && (chunk.vector as number[]).length === 128)).toBe(
      true,
    );
  });
});
