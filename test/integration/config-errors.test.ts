import { execFile } from "node:child_process";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GemindexError, openIndex } from "../../src/index.js";
import { unprivilegedPrefix } from "../support/as-other-user.js";
import { runGemindex } from "../support/run-cli.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
const execFileAsync = promisify(execFile);
let workspace: Workspace;

beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.write("docs/a.md", "# A\n\nAlpha notes about lighthouses.\n");
});
afterEach(async () => {
  await execFileAsync("chmod", ["-R", "u+w", workspace.root]);
  await workspace.cleanup();
});

describe("configuration problems", () => {
  it("--db naming a file (or a path below one) is exit 2 with a sentence, for readers and writers", async () => {
    const file = await workspace.write("notes.txt", "not an index");
    for (const db of [file, path.join(file, "index")]) {
      for (const argv of [["status"], ["query", "lighthouses"], ["doctor"], ["index", "docs"]]) {
        const run = await runGemindex(["--db", db, ...argv], { cwd: workspace.corpus });
        expect({ argv, code: run.code }).toEqual({ argv, code: 2 });
        expect(run.stderr).toMatch(/is a file, not a folder/);
        expect(run.stderr).not.toMatch(/unexpected error/);
      }
    }
  });

  it("an index folder the user cannot write is exit 2 for `index` (and searching it still works)", async () => {
    const prefix = unprivilegedPrefix();
    // As root, file modes stop nothing: the check needs an unprivileged user (setpriv) to mean anything.
    if (prefix === undefined) return;
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    await index.index(["docs"]);
    await index.close();
    await execFileAsync("chmod", ["-R", "a-w,a+rX", workspace.root]);
    await chmod(workspace.root, 0o755);
    const gemindex = async (...args: string[]) => {
      const [command, ...rest] = [...prefix, process.execPath, bin, "--db", workspace.db, ...args];
      return execFileAsync(command!, rest, { cwd: workspace.corpus, env: { PATH: process.env.PATH } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    };
    const indexing = await gemindex("index", "docs");
    expect(indexing.code).toBe(2);
    expect(indexing.stderr).toMatch(/is not writable \(permission denied\)/);
    const query = await gemindex("query", "lighthouses");
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/docs\/a\.md/);
    // A new index below a folder the user cannot write: exit 2, not LanceDB's "Unable to created lance dataset".
    await mkdir(path.join(workspace.root, "locked"), { mode: 0o555 });
    const [command, ...rest] = [
      ...prefix,
      process.execPath,
      bin,
      "--db",
      path.join(workspace.root, "locked", "idx"),
      "index",
      "docs",
    ];
    const created = await execFileAsync(command!, rest, {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((created as { code: number }).code).toBe(2);
    expect((created as { stderr: string }).stderr).toMatch(/not writable/);
  });
});

describe("a closed index handle", () => {
  it("throws a gemindex error, not LanceDB's, when used after close()", async () => {
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    await index.index(["docs"]);
    await index.close();
    for (const use of [() => index.search("lighthouses"), () => index.status(), () => index.doctor()]) {
      const error = await use().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GemindexError);
      expect((error as Error).message).toMatch(/was closed/);
    }
    await index.close();
  });
});
