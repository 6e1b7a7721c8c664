import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, IndexLockedError, openIndex } from "../../src/index.js";
import { acquireWriteLock } from "../../src/store/write-lock.js";
import type { Emulator } from "../emulator/index.js";
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
  for (let i = 0; i < 20; i++)
    await workspace.write(`docs/n${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i}.\n`);
});
afterEach(async () => {
  emulator.options.latencyMs = 0;
  await workspace.cleanup();
});

const open = () =>
  openIndex({ uri: workspace.db, cwd: workspace.corpus, apiKey: emulator.apiKey, baseURL: emulator.baseURL });

describe("the index write lock", () => {
  it("refuses a second writer while a run is in progress, and queries keep working meanwhile", async () => {
    const first = await open();
    await first.index(["docs"]);
    await workspace.write("docs/new.md", "# New\n\nA new note about harbours.\n");
    emulator.options.latencyMs = 300;
    // The second writer tries while the first waits on its first (slow) embedding request.
    const inFlight = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (embeddingRequests(emulator).length > 0) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    emulator.reset();
    const running = first.index(["docs"]);
    await inFlight;

    const second = await open();
    await expect(second.index(["docs"])).rejects.toBeInstanceOf(IndexLockedError);
    const cli = await runGemindex(["--db", workspace.db, "index", "docs"], {
      cwd: workspace.corpus,
      env: { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
    });
    expect(cli.code).toBe(5);
    expect(cli.stderr).toMatch(/being written by process \d+/);

    const hits = (await second.search("subject s7", { mode: "lexical" })).hits;
    expect(hits[0]?.displayPath).toBe("docs/n7.md");

    const firstReport = await running;
    expect(firstReport.error).toBeUndefined();
    expect(firstReport.outcome).toBe("completed");
    const secondReport = await second.index(["docs"]);
    expect(secondReport.error).toBeUndefined();
    await first.close();
    await second.close();
  });

  it("takes over a lock left by a process that no longer exists", async () => {
    const index = await open();
    await index.index(["docs"]);
    await writeFile(
      path.join(workspace.db, ".gemindex-write.lock"),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        hostname: hostname(),
        startedAt: "2026-01-01T00:00:00Z",
        purpose: "gemindex index",
      }),
    );
    const report = await index.index(["docs"]);
    expect(report.outcome).toBe("completed");
    await index.close();
  });
});

describe("acquireWriteLock", () => {
  const deadOwner = (purpose: string) =>
    JSON.stringify({
      pid: 2 ** 22 + 12_345,
      hostname: hostname(),
      startedAt: "2026-01-01T00:00:00Z",
      purpose,
      nonce: "n1",
    });

  it("takes over a stale lock even when a takeover was left half done by a process that died", async () => {
    await mkdir(workspace.db, { recursive: true });
    const lockFile = path.join(workspace.db, ".gemindex-write.lock");
    await writeFile(lockFile, deadOwner("gemindex index"));
    await writeFile(`${lockFile}.takeover-n1`, deadOwner("takeover"));
    const lock = await acquireWriteLock(workspace.db, "test");
    expect(JSON.parse(await readFile(lockFile, "utf8")).pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(workspace.db)).toEqual([]);
  });

  it("refuses while the owner lives, and a release never removes another writer's lock", async () => {
    const first = await acquireWriteLock(workspace.db, "first");
    await expect(acquireWriteLock(workspace.db, "second")).rejects.toBeInstanceOf(IndexLockedError);
    const lockFile = path.join(workspace.db, ".gemindex-write.lock");
    // Someone deleted the lock by hand and another writer took it: our release leaves theirs alone.
    await rm(lockFile);
    const second = await acquireWriteLock(workspace.db, "second");
    await first.release();
    expect(JSON.parse(await readFile(lockFile, "utf8")).purpose).toBe("second");
    await second.release();
  });

  it("says the index location is a file, not a folder (a configuration error)", async () => {
    const file = await workspace.write("not-a-folder", "x");
    const error = await acquireWriteLock(file, "test").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/is a file, not a folder/);
    await expect(acquireWriteLock(path.join(file, "index"), "test")).rejects.toBeInstanceOf(ConfigError);
  });
});
