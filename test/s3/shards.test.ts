import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { shardOf, storageOptionsFromEnv } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { type ObjectStore, startObjectStore } from "../support/object-store.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const dieScript = path.resolve(import.meta.dirname, "../support/shard-then-die.mjs");
const topics = ["tide pools", "glaciers", "lighthouses", "bees", "volcanoes", "orchards", "comets", "rivers"];

let emulator: Emulator;
let store: ObjectStore;
let workspace: Workspace;
let uri: string;
let prefix = 0;

useEmulator((started) => (emulator = started));
beforeAll(async () => {
  store = await startObjectStore();
});
afterAll(async () => {
  await store?.close();
});
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  // 32 documents, each about one topic, a few with two sections.
  for (let i = 0; i < 32; i++) {
    const topic = topics[i % topics.length]!;
    const body = `# Note ${i} on ${topic}\n\nField note ${i}: observations about ${topic}, entry ${i * 7}.\n`;
    await workspace.write(
      `docs/${topic.replace(" ", "-")}/note-${i}.md`,
      i % 5 === 0 ? `${body}\n## More\n\n${topic} again.\n` : body,
    );
  }
  uri = store.uri(`shards-${++prefix}`);
});
afterEach(async () => {
  await workspace.cleanup();
});

function env(): Record<string, string> {
  const cache = { XDG_CACHE_HOME: path.join(workspace.root, "cache") };
  return { ...store.env(), GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL, ...cache };
}

const gemindex = (argv: string[]) => runGemindex(argv, { cwd: workspace.corpus, env: env() });
const embeddingRequests = () => emulator.requests({ path: /embeddings$|:batchEmbedContents$|:embedContent$/ }).length;

/** What one unsharded run builds in a local folder, to compare the shards' index with. */
async function localReference() {
  const local = await gemindex(["--db", workspace.db, "index", "docs"]);
  expect(local.code).toBe(0);
  return dumpIndex(workspace.db);
}

describe("sharded writers on one s3:// index", () => {
  it("4 shards at once build what one unsharded run builds, and an unchanged re-run embeds nothing", async () => {
    const reference = await localReference();
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) => gemindex(["--db", uri, "index", "docs", "--shard", `${i}/4`])),
    );
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Shard \d\/4: \d+ files? left to the other shards/);
    }
    // Every document in exactly one shard.
    const owned = runs.map((run) => Number(/: (\d+) new/.exec(run.stdout)?.[1]));
    expect(owned.reduce((sum, count) => sum + count, 0)).toBe(32);

    const remote = await dumpIndex(uri, storageOptionsFromEnv(store.env()));
    expect(remote.documents).toEqual(reference.documents);
    expect(remote.chunks).toEqual(reference.chunks);

    // The last worker finished the shared upkeep: the full-text index covers every chunk.
    const doctor = await gemindex(["--db", uri, "doctor", "--json"]);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ healthy: true, fullText: { coverage: 1 } });

    const before = embeddingRequests();
    const again = await gemindex(["--db", uri, "index", "docs", "--shard", "2/4"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 new, 0 changed, \d+ unchanged, 0 removed/);
    expect(embeddingRequests()).toBe(before);
  });

  it("finishes the work of a shard killed mid-run when it runs again, without duplicates", async () => {
    const reference = await localReference();
    const victim = [0, 1, 2, 3].find(
      (i) => reference.documents.filter((document) => shardOf(String(document.path), 4) === i).length >= 4,
    )!;
    const child = spawn(process.execPath, [dieScript, uri, workspace.corpus, "docs", `${victim}/4`], {
      env: { ...process.env, ...env() },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const [, signal] = await once(child, "exit");
    expect(signal).toBe("SIGKILL");

    // The others run, and the killed shard again: it takes over the lease its dead process left.
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) => gemindex(["--db", uri, "index", "docs", "--shard", `${i}/4`])),
    );
    for (const run of runs) expect(run.code).toBe(0);
    expect(runs[victim]!.stdout).toMatch(/[1-9]\d* new/);

    const remote = await dumpIndex(uri, storageOptionsFromEnv(store.env()));
    expect(remote.documents).toEqual(reference.documents);
    expect(remote.chunks).toEqual(reference.chunks);
    const doctor = await gemindex(["--db", uri, "doctor", "--json"]);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ healthy: true });
  });

  it("refuses reset with shard, and a malformed shard, as configuration errors", async () => {
    const reset = await gemindex(["--db", uri, "index", "docs", "--shard", "0/2", "--reset"]);
    expect(reset.code).toBe(2);
    expect(reset.stderr).toMatch(/reset/);
    const malformed = await runGemindex(["--db", uri, "index", "docs"], {
      cwd: workspace.corpus,
      env: { ...env(), GEMINDEX_SHARD: "4/4" },
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/shard must be i\/n with 0 ≤ i < n/);
  });
});
