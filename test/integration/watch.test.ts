import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GemIndex, openIndex, type WatchEvent, type Watcher, watchSources } from "../../src/index.js";
import { acquireWriteLock } from "../../src/store/write-lock.js";
import type { Emulator } from "../emulator/index.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let index: GemIndex;
let watcher: Watcher | undefined;
let events: WatchEvent[];
let waiters: Array<{ test: (event: WatchEvent) => boolean; resolve: (event: WatchEvent) => void }>;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  await workspace.write("docs/first.md", "# First\n\nThe lighthouse keeper logs the weather at dawn.\n");
  events = [];
  waiters = [];
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  await index?.close();
  await workspace.cleanup();
});

/** Resolves with the next event (from now on) that passes `test`. */
function next<T extends WatchEvent["type"]>(
  type: T,
  test: (event: Extract<WatchEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<WatchEvent, { type: T }>> {
  return new Promise((resolve) =>
    waiters.push({
      test: (event) => event.type === type && test(event as Extract<WatchEvent, { type: T }>),
      resolve: resolve as (event: WatchEvent) => void,
    }),
  );
}

function record(event: WatchEvent): void {
  events.push(event);
  for (const waiter of [...waiters]) {
    if (!waiter.test(event)) continue;
    waiters.splice(waiters.indexOf(waiter), 1);
    waiter.resolve(event);
  }
}

/** Opens the index (offline unless `online`) and starts watching `docs`; resolves after the first run. */
async function start(options: { online?: boolean; debounceMs?: number; lockRetryMs?: number } = {}) {
  index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    ...(options.online ? { apiKey: emulator.apiKey, baseURL: emulator.baseURL, retry: { maxAttempts: 1 } } : {}),
  });
  const firstRun = next("run-end");
  watcher = watchSources(index, ["docs"], {
    debounceMs: options.debounceMs ?? 200,
    lockRetryMs: options.lockRetryMs,
    onEvent: record,
  });
  await watcher.ready;
  return (await firstRun).report;
}

const runsAfterStart = () => events.filter((event) => event.type === "run-start" && event.reason !== "start");

describe("watchSources()", () => {
  it("turns a burst of 1,000 new files into one incremental run, recorded in the run history", async () => {
    const first = await start({ debounceMs: 1000 });
    expect(first.files.new).toBe(1);
    const burstRun = next("run-end");
    const started = Date.now();
    await mkdir(path.join(workspace.corpus, "docs/burst"), { recursive: true });
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        writeFile(path.join(workspace.corpus, `docs/burst/note-${i}.md`), `# Note ${i}\n\nPebble number ${i}.\n`),
      ),
    );
    const { report } = await burstRun;
    console.info(`watch burst: 1000 files written, 1 run, indexed ${Date.now() - started} ms after the first write`);
    expect(report.files.new).toBe(1000);
    expect(runsAfterStart()).toHaveLength(1);
    // The run indexes every file; the count of change events is the watcher's, and a busy machine's
    // file-system notifications may fold two writes into one.
    const [run] = runsAfterStart();
    expect(run).toMatchObject({ reason: "changes" });
    expect(run?.type === "run-start" ? run.changes : 0).toBeGreaterThan(900);
    const runs = await index.runs();
    expect(runs.map((run) => [run.pipeline, run.files.new])).toEqual([
      ["watch", 1000],
      ["watch", 1],
    ]);
  });

  it("makes a new file searchable within seconds, and a deleted one unfindable", async () => {
    await start();
    const run = next("run-end");
    const written = Date.now();
    await workspace.write("docs/new.md", "# New\n\nThe ferry timetable changes in October.\n");
    await run;
    const elapsed = Date.now() - written;
    expect((await index.search("ferry timetable", { k: 1 })).hits[0]?.displayPath).toBe("docs/new.md");
    expect(elapsed).toBeLessThan(10_000);
    const removal = next("run-end");
    await workspace.remove("docs/new.md");
    expect((await removal).report.files.removed).toBe(1);
    expect((await index.search("ferry timetable", { k: 1 })).hits).toHaveLength(0);
  });

  it("ignores what indexing ignores (ignore files, dependency folders, hidden files, unsupported types)", async () => {
    await workspace.write("docs/.gitignore", "private/\n");
    // The index inside the watched folder: its own writes must not trigger runs.
    await index?.close();
    index = await openIndex({ uri: path.join(workspace.corpus, "docs/idx"), cwd: workspace.corpus });
    const firstRun = next("run-end");
    watcher = watchSources(index, ["docs"], { debounceMs: 200, onEvent: record });
    await watcher.ready;
    await firstRun;
    await workspace.write("docs/private/secret.md", "# Secret\n");
    await workspace.write("docs/node_modules/pkg/readme.md", "# Dependency\n");
    await workspace.write("docs/.draft.md", "# Hidden\n");
    await workspace.write("docs/archive.zip", "PK");
    const run = next("run-end");
    await workspace.write("docs/real.md", "# Real\n\nA real note.\n");
    await run;
    const changed = new Set(events.filter((event) => event.type === "change").map((event) => event.path));
    expect([...changed]).toEqual([path.join(workspace.corpus, "docs/real.md")]);
    expect(runsAfterStart()).toEqual([{ type: "run-start", reason: "changes", changes: 1 }]);
  });

  it("holds the write lock only during a run: waits out another writer, then runs", async () => {
    await start({ lockRetryMs: 100 });
    // Between runs the lock is free: another process can take it.
    const other = await acquireWriteLock(workspace.db, "another writer");
    const refused = next("run-error");
    await workspace.write("docs/second.md", "# Second\n\nA second note.\n");
    expect((await refused).retryInMs).toBe(100);
    const run = next("run-end");
    await other.release();
    expect((await run).report.files.new).toBe(1);
  });

  it("survives a failing run and indexes the change with the next one", async () => {
    await start({ online: true });
    emulator.options.apiKeys = ["another-key"];
    const failed = next("run-end");
    await workspace.write("docs/second.md", "# Second\n\nA second note.\n");
    const { report } = await failed;
    expect(report.outcome).toBe("stopped");
    expect(report.error?.code).toBe("AUTH");
    emulator.options.apiKeys = [emulator.apiKey];
    const recovered = next("run-end");
    await workspace.write("docs/third.md", "# Third\n\nA third note.\n");
    const next_ = (await recovered).report;
    expect(next_.outcome).toBe("completed");
    expect(next_.files.new).toBe(2);
  });

  it("stop() ends the run in flight the way an interrupted run ends, recorded, and resolves after it", async () => {
    await start({ online: true });
    emulator.options.latencyMs = 300;
    for (let i = 0; i < 6; i++) await workspace.write(`docs/slow-${i}.md`, `# Slow ${i}\n\nA slow note ${i}.\n`);
    await next("run-start", (event) => event.reason === "changes");
    await watcher!.stop();
    const end = events.find((event) => event.type === "run-end" && event.report.outcome !== "completed");
    expect(end).toBeDefined();
    expect(events.at(-1)).toEqual({ type: "stopped" });
    watcher = undefined;
    const runs = await index.runs();
    expect(runs[0]!.outcome).toBe("interrupted");
  });
});
