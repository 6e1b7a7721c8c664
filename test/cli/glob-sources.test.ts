import { existsSync } from "node:fs";
import { symlink } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dumpIndex } from "../support/dump-index.js";
import { runGemindex } from "../support/run-cli.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let workspace: Workspace;

beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.write("docs/tides.md", "# Tides\n\nHigh water comes at noon at the north jetty.\n");
  await workspace.write("docs/guide/install.md", "# Install\n\nRun the installer, then restart.\n");
  await workspace.write("docs/notes.txt", "A text file the pattern does not ask for.\n");
  await workspace.write("docs/drafts/wip.md", "# Draft\n\nNot ready for anyone.\n");
  await workspace.write("docs/.gitignore", "drafts/\n");
  await workspace.write("docs/node_modules/pkg/readme.md", "# A dependency\n");
  await workspace.write("docs/.hidden/secret.md", "# Hidden\n");
  await workspace.write("notes/meeting.txt", "Meeting notes: calibrating the tide gauge.\n");
  await workspace.write("notes/meeting.log", "a log the pattern does not ask for\n");
  await workspace.write("elsewhere/outside.txt", "Content only a symbolic link leads to.\n");
  await symlink(path.join(workspace.corpus, "elsewhere/outside.txt"), path.join(workspace.corpus, "notes/link.txt"));
});
afterEach(async () => {
  await workspace.cleanup();
});

const gemindex = (argv: string[]) => runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus });

/** Indexed documents, as paths relative to the corpus. */
async function indexed(): Promise<string[]> {
  const { documents } = await dumpIndex(workspace.db);
  return documents.map((document) => path.relative(workspace.corpus, String(document.path)).split(path.sep).join("/"));
}

describe("gemindex index with glob patterns", () => {
  it("indexes what the patterns match, honouring .gitignore, default excludes and hidden files, no links", async () => {
    const run = await gemindex(["index", "docs/**/*.md", "notes/*.txt"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 new, 0 changed, 0 unchanged, 0 removed, 0 failed \(3 files seen\)/);
    expect(await indexed()).toEqual(["docs/guide/install.md", "docs/tides.md", "notes/meeting.txt"]);
    const query = await gemindex(["query", "tide gauge calibration"]);
    expect(query.stdout).toMatch(/\[1\] notes\/meeting\.txt:L1/);
  });

  it("runs incrementally: unchanged files are skipped, a file gone is removed", async () => {
    await gemindex(["index", "docs/**/*.md", "notes/*.txt"]);
    await workspace.write("docs/guide/upgrade.md", "# Upgrade\n\nStop the service first.\n");
    await workspace.remove("docs/tides.md");
    const run = await gemindex(["index", "docs/**/*.md", "notes/*.txt"]);
    expect(run.stdout).toMatch(/1 new, 0 changed, 2 unchanged, 1 removed, 0 failed/);
    expect(await indexed()).toEqual(["docs/guide/install.md", "docs/guide/upgrade.md", "notes/meeting.txt"]);
  });

  it("with no paths, updates what the index holds under the same patterns and excludes", async () => {
    await gemindex(["index", "docs/**/*.md", "notes/*.txt", "--exclude", "guide/**"]);
    expect(await indexed()).toEqual(["docs/tides.md", "notes/meeting.txt"]);
    await workspace.write("docs/ferries.md", "# Ferries\n\nThe ferry leaves at dawn.\n");
    await workspace.write("notes/ferries.txt", "Ferry notes.\n");
    await workspace.write("docs/ferries.txt", "Not asked for by any pattern.\n");
    await workspace.write("docs/guide/ferries.md", "# Excluded\n");
    const run = await gemindex(["index"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 new, 0 changed, 2 unchanged, 0 removed, 0 failed/);
    expect(await indexed()).toEqual(["docs/ferries.md", "docs/tides.md", "notes/ferries.txt", "notes/meeting.txt"]);
  });

  it("with no paths and no index, asks for a path (exit 2) and creates nothing", async () => {
    const run = await gemindex(["index"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Give at least one file or folder to index/);
    expect(existsSync(workspace.db)).toBe(false);
  });

  it("reports a pattern whose folder does not exist by name, indexes the rest and exits 3", async () => {
    const run = await gemindex(["index", "nowhere/**/*.md", "notes/*.txt"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/nowhere: folder not found \(for the pattern \*\*\/\*\.md\)/);
    expect(await indexed()).toEqual(["notes/meeting.txt"]);
  });

  it("treats a path that exists as written as a path, glob characters and all", async () => {
    await workspace.write("notes [old]/agenda.md", "# Agenda\n\nTide tables for the spring.\n");
    const run = await gemindex(["index", "notes [old]"]);
    expect(run.code).toBe(0);
    expect(await indexed()).toEqual(["notes [old]/agenda.md"]);
  });
});

describe("glob patterns under a working folder whose own name has glob characters", () => {
  it("reads those characters as a name, never as syntax", async () => {
    const project = "proj (v2) [draft]";
    await workspace.write(`${project}/docs/a.md`, "# A\n\nAlpha.\n");
    await workspace.write(`${project}/docs/b.txt`, "Beta.\n");
    const run = await runGemindex(["--db", workspace.db, "index", "docs/*.md"], {
      cwd: path.join(workspace.corpus, project),
    });
    expect(run.code).toBe(0);
    expect(await indexed()).toEqual([`${project}/docs/a.md`]);
  });
});

describe("pipeline sources given as patterns", () => {
  it("are expanded the same way by gemindex run", async () => {
    await workspace.write(
      "pipelines/docs.json",
      JSON.stringify({
        name: "docs",
        sources: [{ root: "../docs/**/*.md" }, { root: "../notes/*.txt" }],
        index: "../i",
      }),
    );
    const run = await runGemindex(["run", "docs"], { cwd: workspace.corpus });
    expect(run.code).toBe(0);
    const { documents } = await dumpIndex(path.join(workspace.corpus, "i"));
    expect(documents.map((document) => path.basename(String(document.path)))).toEqual([
      "install.md",
      "tides.md",
      "meeting.txt",
    ]);
  });
});
