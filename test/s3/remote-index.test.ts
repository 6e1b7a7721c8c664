import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openIndex, storageOptionsFromEnv } from "../../src/index.js";
import { ConditionalObjects } from "../../src/store/s3-objects.js";
import type { Emulator } from "../emulator/index.js";
import { type ObjectStore, readerCredentials, startObjectStore } from "../support/object-store.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let store: ObjectStore;
let workspace: Workspace;
let prefix = 0;
let uri: string;

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
  await workspace.copyFixture("corpus", "docs");
  uri = store.uri(`team-${++prefix}`);
});
afterEach(async () => {
  await workspace.cleanup();
});

function env(role: "writer" | "reader" = "writer", extra: Record<string, string> = {}) {
  const cache = { XDG_CACHE_HOME: path.join(workspace.root, "cache") };
  return { ...store.env(role), GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL, ...cache, ...extra };
}

const gemindex = (argv: string[], environment = env()) =>
  runGemindex(argv, { cwd: workspace.corpus, env: environment });

/** Write requests (answered or refused) signed with `accessKey`, for this test's index. */
const writesBy = (accessKey: string) =>
  store.requests.filter(
    (request) =>
      request.accessKey === accessKey &&
      request.method !== "GET" &&
      request.key.startsWith(`${uri.replace(`s3://${store.bucket}/`, "")}/`),
  );

describe("an index on s3://", () => {
  it("is found by query right after index, and every command works on it", async () => {
    const index = await gemindex(["--db", uri, "index", "docs"]);
    expect(index.stderr).toBe("");
    expect(index.code).toBe(0);
    expect(index.stdout).toContain(`Indexed ${uri}: 5 new`);

    const query = await gemindex(["--db", uri, "query", "--no-answer", "what lives in tide pools?"]);
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^\[1\] docs\//m);

    // GEMINDEX_DB names it as well as --db.
    const status = await gemindex(["status", "--json"], env("writer", { GEMINDEX_DB: uri }));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ uri, exists: true, documents: 5 });

    const optimize = await gemindex(["--db", uri, "optimize"]);
    expect(optimize.code).toBe(0);
    const doctor = await gemindex(["--db", uri, "doctor"]);
    expect(doctor.stdout).toContain("(healthy)");
    expect(doctor.code).toBe(0);

    // Nothing of the index went to the local disk, and its tables are in the bucket.
    const keys = await store.keys(uri.replace(`s3://${store.bucket}/`, ""));
    expect(keys.some((key) => key.includes("/chunks.lance/_versions/"))).toBe(true);
    expect(keys.some((key) => key.includes("/_leases/index.json"))).toBe(true);
    // Opened as a directory of tables: no LanceDB namespace manifest is written (readers never write).
    expect(keys.some((key) => key.includes("__manifest"))).toBe(false);
  });

  it("runs a pipeline whose index is an s3:// URI, with storage options from the file", async () => {
    await writeFile(
      path.join(workspace.corpus, "team.json"),
      JSON.stringify({
        name: "team",
        sources: [{ root: "docs" }],
        index: uri,
        storageOptions: { aws_region: "us-east-1" },
      }),
    );
    const run = await gemindex(["run", "./team.json", "--verbose"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("team: Indexed");
    const runs = await gemindex(["runs", "./team.json", "--json"]);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).runs).toHaveLength(1);
  });

  it("answers queries, status and doctor with a read-only credential, and sends that credential no write", async () => {
    expect((await gemindex(["--db", uri, "index", "docs"])).code).toBe(0);
    const reader = env("reader");
    const query = await gemindex(["--db", uri, "query", "--no-answer", "tide pools"], reader);
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^\[1\] /m);
    expect((await gemindex(["--db", uri, "status"], reader)).code).toBe(0);
    expect((await gemindex(["--db", uri, "doctor"], reader)).code).toBe(0);
    expect(writesBy(readerCredentials.accessKeyId)).toEqual([]);

    // Indexing needs write access: a configuration error naming what to set, before any work.
    const index = await gemindex(["--db", uri, "index", "docs"], reader);
    expect(index.code).toBe(2);
    expect(index.stderr).toMatch(/may read the index but not write it/);
    expect(index.stderr).not.toMatch(/\s+at\s/);
  });

  it("reports wrong credentials and a missing bucket as configuration errors (exit 2) naming what to set", async () => {
    const wrongSecret = await gemindex(["--db", uri, "status"], env("writer", { AWS_SECRET_ACCESS_KEY: "wrong" }));
    expect(wrongSecret.code).toBe(2);
    expect(wrongSecret.stderr).toMatch(/refused the credentials .* Set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/);
    expect(wrongSecret.stderr).not.toContain("wrong");

    const unknownKey = await gemindex(["--db", uri, "index", "docs"], env("writer", { AWS_ACCESS_KEY_ID: "NOBODY" }));
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toMatch(/AWS_ACCESS_KEY_ID/);

    const noBucket = await gemindex(["--db", "s3://no-such-bucket/x", "query", "anything"]);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/bucket no-such-bucket .* does not exist/);
    for (const run of [wrongSecret, unknownKey, noBucket]) expect(run.stderr).not.toMatch(/\s+at\s|Caused by/);
  });

  it("lets a long-lived reader see what writers commit after it opened", async () => {
    const reader = await openIndex({ uri, env: env(), cwd: workspace.corpus, readConsistencyInterval: 0 });
    try {
      // Opened before the index existed.
      expect((await gemindex(["--db", uri, "index", "docs"])).code).toBe(0);
      expect((await reader.search("tide pools")).hits.length).toBeGreaterThan(0);
      await workspace.write("docs/later.md", "# Lighthouses\n\nThe lighthouse keeper trims the wick at dusk.\n");
      expect((await gemindex(["--db", uri, "index", "docs"])).code).toBe(0);
      const { hits } = await reader.search("lighthouse keeper wick");
      expect(hits[0]?.path).toMatch(/later\.md$/);
    } finally {
      await reader.close();
    }
  });
});

describe("an MCP server reading an index on s3:// with a read-only credential", () => {
  // The BUILT executable (npm test builds it first), driven by the MCP SDK's own client.
  const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
  const text = (result: unknown) =>
    (result as CallToolResult).content.map((part) => (part.type === "text" ? part.text : "")).join("");

  it("searches, reports status and sees documents indexed after it started, writing nothing", async () => {
    expect((await gemindex(["--db", uri, "index", "docs"])).code).toBe(0);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, "--db", uri, "mcp"],
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", ...env("reader", { GEMINDEX_READ_CONSISTENCY: "0" }) },
      stderr: "pipe",
    });
    const client = new Client({ name: "gemindex-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const found = await client.callTool({ name: "search", arguments: { query: "tide pools", k: 2 } });
      expect(found.isError).toBeFalsy();
      expect(text(found)).toMatch(/\[1\] docs\//);
      expect(text(await client.callTool({ name: "status", arguments: {} }))).toMatch(/5 documents/);

      await workspace.write("docs/later.md", "# Lighthouses\n\nThe lighthouse keeper trims the wick at dusk.\n");
      expect((await gemindex(["--db", uri, "index", "docs"])).code).toBe(0);
      const later = await client.callTool({ name: "search", arguments: { query: "lighthouse keeper wick", k: 1 } });
      expect(text(later)).toMatch(/docs\/later\.md/);
    } finally {
      await client.close();
    }
    expect(writesBy(readerCredentials.accessKeyId)).toEqual([]);
  });
});

describe("writers of one index on s3://", () => {
  it("refuses a second unsharded writer with exit 5 while the first runs, which then finishes", async () => {
    const prefixKey = uri.replace(`s3://${store.bucket}/`, "");
    // The first writer stops at its first chunk commit, holding its lease.
    const held = store.hold(
      (request) => request.method === "PUT" && request.key.startsWith(`${prefixKey}/chunks.lance/data/`),
    );
    const first = gemindex(["--db", uri, "index", "docs"]);
    await held.reached;
    const second = await gemindex(["--db", uri, "index", "docs"]);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/is being written by process \d+ on .*gemindex index/);
    held.release();
    const done = await first;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("5 new");
  });

  it("takes over the lease of a writer on another machine once it lapsed, not before", async () => {
    const objects = new ConditionalObjects(uri, "_leases", storageOptionsFromEnv(store.env()));
    const lease = (renewedAt: number) =>
      JSON.stringify({
        holder: {
          pid: 4242,
          hostname: "worker-7",
          purpose: "gemindex index",
          startedAt: "",
          ttlMs: 60_000,
          nonce: "n",
        },
        renewedAt,
        released: false,
      });
    try {
      const etag = await objects.create("index.json", lease(Date.now()));
      const live = await gemindex(["--db", uri, "index", "docs"]);
      expect(live.code).toBe(5);
      expect(live.stderr).toContain("process 4242 on worker-7");
      // Its last renewal was two minutes ago: the worker is gone.
      await objects.replace("index.json", lease(Date.now() - 120_000), etag!);
      const takeover = await gemindex(["--db", uri, "index", "docs"]);
      expect(takeover.code).toBe(0);
      expect(JSON.parse((await objects.get("index.json"))!.body)).toMatchObject({
        holder: { pid: process.pid },
        released: true,
      });
    } finally {
      objects.close();
    }
  });
});
