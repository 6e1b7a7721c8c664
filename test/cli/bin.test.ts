import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");

/** Runs the built executable (npm test builds it first) and returns its outcome, whatever the exit code. */
async function gemindex(args: string[], cwd: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

let workspace: Workspace;
beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.copyFixture("corpus", "docs");
});
afterEach(async () => {
  await workspace.cleanup();
});

describe("the gemindex executable", () => {
  it("prints its version", async () => {
    const result = await gemindex(["--version"], workspace.corpus);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("indexes into ./data/index by default and answers offline, with no LanceDB log noise", async () => {
    const index = await gemindex(["index", "docs"], workspace.corpus);
    expect(index.code).toBe(0);
    expect(index.stdout).toMatch(/^Indexed data\/index: 5 new/);
    const query = await gemindex(["query", "tide table"], workspace.corpus);
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^\[1\] docs\//);
    expect(query.stderr).toMatch(/^gemindex: no GEMINI_API_KEY/);
    expect(query.stderr).not.toMatch(/WARN|lance/i);
  });

  it("exits 3 when a file fails and names it", async () => {
    await workspace.write("docs/broken.pdf", "%PDF-1.7 this is not a pdf");
    const result = await gemindex(["--db", "idx", "index", "docs"], workspace.corpus);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/skipped .*docs\/broken\.pdf: /);
  });
});

describe("the gemindex executable in a pipeline", () => {
  it("exits quietly when the reader closes the pipe early (| head)", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [bin, "--help"], {
      cwd: workspace.corpus,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader goes away before the first line is written, as `| head -0` would.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (data) => (stderr += data));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
