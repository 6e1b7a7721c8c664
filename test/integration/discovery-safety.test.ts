import { execFileSync } from "node:child_process";
import { mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let outside: string;
useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  outside = await realpath(await mkdtemp(path.join(tmpdir(), "gemindex-outside-")));
  await writeFile(path.join(outside, "secret.md"), "# Private\n\nThe vault code is 4711.\n");
});
afterEach(async () => {
  await workspace.cleanup();
  await rm(outside, { recursive: true, force: true });
});

const online = (argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.root,
    env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  });
const embeddedTexts = () => embeddingRequests(emulator).flatMap(requestInputs).join("\n");
const indexedPaths = async () =>
  (await dumpIndex(workspace.db)).documents.map((document) => path.basename(String(document.path))).sort();

describe("gemindex index and symbolic links", () => {
  it("indexes a.md only when links lead to /etc and /etc/passwd, and names each link it did not follow", async () => {
    // The repro: mkdir h && echo notes > h/a.md && ln -s /etc h/etc-link && ln -s /etc/passwd h/passwd.txt
    const h = path.join(workspace.root, "h");
    await workspace.write("../h/a.md", "notes\n");
    await symlink("/etc", path.join(h, "etc-link"));
    await symlink("/etc/passwd", path.join(h, "passwd.txt"));
    const run = await online(["index", "h"]);
    expect(run.code).toBe(0);
    expect(await indexedPaths()).toEqual(["a.md"]);
    expect(embeddedTexts()).not.toMatch(/root:/);
    expect(run.stderr).toContain(
      "gemindex: not followed: h/etc-link -> /etc: points outside the indexed folder (--follow-symlinks follows it)\n",
    );
    expect(run.stderr).toContain(
      "gemindex: not followed: h/passwd.txt -> /etc/passwd: points outside the indexed folder (--follow-symlinks " +
        "follows it)\n",
    );
    expect(run.stdout).toMatch(/^Indexed \S+: 1 new, 0 changed, 0 unchanged, 0 removed, 0 failed \(1 file seen\)/);
    const json = JSON.parse((await online(["--json", "index", "h"])).stdout) as { passedOver: unknown[] };
    expect(json.passedOver).toEqual([
      { path: `${h}/etc-link`, code: "symlink-outside-root", target: "/etc" },
      { path: `${h}/passwd.txt`, code: "symlink-outside-root", target: "/etc/passwd" },
    ]);
  });

  it("follows links out of the folder with --follow-symlinks, and links inside it either way", async () => {
    await workspace.write("notes.md", "# Notes\n\nPlain notes.\n");
    await workspace.write(".archive/old.md", "# Old\n\nOnly reachable through a link.\n");
    await symlink(path.join(workspace.corpus, ".archive"), path.join(workspace.corpus, "archive"));
    await symlink(outside, path.join(workspace.corpus, "private"));
    const contained = await online(["index", "corpus"]);
    expect(contained.code).toBe(0);
    expect(await indexedPaths()).toEqual(["notes.md", "old.md"]);
    expect(embeddedTexts()).not.toMatch(/vault code/);

    const followed = await online(["index", "corpus", "--follow-symlinks"]);
    expect(followed.code).toBe(0);
    expect(followed.stderr).not.toMatch(/not followed/);
    expect(await indexedPaths()).toEqual(["notes.md", "old.md", "secret.md"]);
    expect(embeddedTexts()).toMatch(/vault code is 4711/);
  });

  it("a pipeline opts in with followSymlinks: true", async () => {
    await workspace.write("notes.md", "# Notes\n\nPlain notes.\n");
    await symlink(outside, path.join(workspace.corpus, "private"));
    const pipeline = { name: "p", sources: [{ root: "../corpus" }], index: "../index", followSymlinks: true };
    await workspace.write("../pipelines/p.json", JSON.stringify(pipeline));
    const run = await online(["run", "p"]);
    expect(run.code).toBe(0);
    expect(await indexedPaths()).toEqual(["notes.md", "secret.md"]);
  });
});

describe("gemindex index and special files", () => {
  it("passes over a FIFO and, with --follow-symlinks, a link to /proc — the run ends and says why", async () => {
    await workspace.write("a.md", "# A\n\nalpha\n");
    execFileSync("mkfifo", [path.join(workspace.corpus, "pipe.md")]);
    if (process.platform === "linux") await symlink("/proc", path.join(workspace.corpus, "proc"));
    const run = await online(["index", "corpus", "--follow-symlinks"]);
    expect(run.code).toBe(0);
    expect(await indexedPaths()).toEqual(["a.md"]);
    expect(run.stderr).toContain("gemindex: passed over corpus/pipe.md: a FIFO (named pipe), not a regular file\n");
    if (process.platform === "linux")
      expect(run.stderr).toContain(
        "gemindex: passed over corpus/proc: on the proc pseudo-file-system (kernel files, not documents)\n",
      );
  });
});

describe("gemindex index with the index inside the indexed folder", () => {
  it("never indexes the index's own files, on the first run or later ones", async () => {
    await workspace.write("notes.md", "# Notes\n\nThe harbour gauge reads 3.2 metres.\n");
    const run = (argv: string[]) => runGemindex(argv, { cwd: workspace.corpus });
    expect((await run(["--db", "idx", "index", "."])).code).toBe(0);
    // Whatever the index keeps in its folder (LanceDB's JSON hints, logs, notes) is not a document.
    await workspace.write("idx/README.md", "# Index folder\n\nBuilt by gemindex.\n");
    const again = await run(["--db", "idx", "--json", "index", "."]);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { files: { seen: number; new: number; unchanged: number } };
    expect(report.files).toMatchObject({ seen: 1, new: 0, unchanged: 1 });
    const paths = (await dumpIndex(path.join(workspace.corpus, "idx"))).documents.map((document) => document.path);
    expect(paths).toHaveLength(1);
    expect(String(paths[0])).toMatch(/notes\.md$/);
  });
});
