import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AnswerEvent, type AnswerOptions, ConfigError, type GemIndex, openIndex } from "../../src/index.js";
import {
  CacheNotFoundError,
  CacheTooSmallError,
  createCachedContent,
  deleteCachedContent,
  getCachedContent,
  isCacheGone,
  listCachedContents,
  updateCachedContentTtl,
} from "../../src/providers/gemini/caches.js";
import { GeminiClient } from "../../src/providers/gemini/client.js";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let index: GemIndex;
/** Our side of the clock: moved together with the emulator's (see `advanceBoth`). */
let offset = 0;

useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  offset = 0;
  workspace = await makeWorkspace();
  await writeHandbook(workspace);
  index = await open();
  const report = await index.index(["."]);
  expect(report.outcome).toBe("completed");
  emulator.log.length = 0;
});
afterEach(async () => {
  await index.close();
  await workspace.cleanup();
});

function open(): Promise<GemIndex> {
  return openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
    retry: { baseDelayMs: 10 },
    now: () => Date.now() + offset,
  });
}

/** Moves both clocks: the emulator's (cache expiry) and the one the index judges lifetimes by. */
function advanceBoth(ms: number): void {
  offset += ms;
  emulator.advanceTime(ms);
}

/** A handbook of ~9,000 characters (~2,300 emulator tokens): above every documented Flash minimum. */
async function writeHandbook(target: Workspace): Promise<void> {
  const topics = [
    "harbour tides",
    "lighthouse lamps",
    "ferry schedules",
    "net mending",
    "storm warnings",
    "fish markets",
  ];
  const sections = topics.map((topic, i) =>
    [
      `## ${topic}`,
      "",
      ...Array.from(
        { length: 12 },
        (_, j) =>
          `Rule ${i + 1}.${j + 1} about ${topic}: keepers log every change in the harbour book before sunset, and ` +
          `crews sign it on return.`,
      ),
      "",
    ].join("\n"),
  );
  await target.write(
    "handbook.md",
    `# Harbour handbook\n\nThe harbour master signs the handbook every spring.\n\n${sections.join("\n")}`,
  );
  await target.write("notes.md", "# Notes\n\nThe lighthouse lamp is cleaned every Tuesday morning by the keeper.\n");
}

async function collect(events: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const all: AnswerEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

async function ask(handle: GemIndex, question: string, options: AnswerOptions = {}) {
  const events = await collect(handle.answer(question, options));
  const sources = events.find((event) => event.type === "sources") as Extract<AnswerEvent, { type: "sources" }>;
  const done = events.at(-1) as Extract<AnswerEvent, { type: "done" }>;
  expect(done.type).toBe("done");
  return { events, sources, done };
}

const creates = () => emulator.requests({ method: "POST", path: "/v1beta/cachedContents" });
const patches = () => emulator.requests({ method: "PATCH", path: /^\/v1beta\/cachedContents\// });
const chats = () => emulator.requests({ method: "POST", path: "chat/completions" });

interface ChatBody {
  messages: Array<{ role: string; content: string }>;
  extra_body?: { google?: { cached_content?: string } };
}
const bodyOf = (request: LoggedRequest) => request.body as ChatBody;
const cachedContentOf = (request: LoggedRequest) => bodyOf(request).extra_body?.google?.cached_content;
const roles = (request: LoggedRequest) => bodyOf(request).messages.map((message) => message.role);

describe("answer() with pinned documents and a context cache", () => {
  it("creates a cache holding the instruction and the pinned document, and asks without a system message", async () => {
    const { sources, done, events } = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });

    expect(creates()).toHaveLength(1);
    const create = creates()[0]!.body as {
      model: string;
      ttl: string;
      displayName: string;
      systemInstruction: { parts: Array<{ text: string }> };
      contents: Array<{ role: string; parts: Array<{ text: string }> }>;
    };
    expect(create.model).toBe("models/gemini-3-flash-preview");
    expect(create.ttl).toBe("600s");
    expect(create.displayName).toContain("handbook.md");
    expect(create.systemInstruction.parts[0]!.text).toMatch(/numbered sources/);
    expect(create.systemInstruction.parts[0]!.text).toMatch(/\[P1\]/);
    expect(create.contents).toHaveLength(1);
    expect(create.contents[0]!.role).toBe("user");
    const pinned = create.contents[0]!.parts[0]!.text;
    expect(pinned).toContain('<document n="P1" path="handbook.md">');
    expect(pinned).toContain("The harbour master signs the handbook every spring.");
    expect(pinned).toContain("Rule 6.12 about fish markets");

    expect(chats()).toHaveLength(1);
    const chat = chats()[0]!;
    expect(cachedContentOf(chat)).toMatch(/^cachedContents\//);
    expect(roles(chat)).toEqual(["user"]);
    expect(JSON.stringify(bodyOf(chat).messages)).not.toContain("Rule 6.12");

    expect(sources.pinned).toEqual([expect.objectContaining({ label: "P1", displayPath: "handbook.md" })]);
    // The model has the pinned document whole: its passages are not sent again as sources.
    expect(sources.hits.map((hit) => [hit.rank, hit.displayPath])).toEqual([[1, "notes.md"]]);
    expect(sources.cache).toMatchObject({ name: cachedContentOf(chat), state: "created" });
    expect(done.cachedContent).toBe(cachedContentOf(chat));
    expect(done.text).not.toBe("");

    const cacheTokens = sources.cache!.totalTokens!;
    expect(cacheTokens).toBeGreaterThan(1024);
    expect(done.usage?.cachedTokens).toBe(cacheTokens);
    expect(done.usage!.promptTokens).toBeGreaterThan(cacheTokens);
    const usage = events.filter((event) => event.type === "usage");
    expect(usage.length).toBeGreaterThan(0);
  });

  it("reuses one cache across two questions and across two openIndex() handles", async () => {
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    const second = await ask(index, "Who signs the handbook?", { pin: ["handbook.md"] });
    await index.close();
    index = await open();
    const third = await ask(index, "What about storm warnings?", { pin: ["./handbook.md"] });

    expect(creates()).toHaveLength(1);
    const name = first.sources.cache!.name;
    expect(chats().map(cachedContentOf)).toEqual([name, name, name]);
    expect(chats().every((chat) => !roles(chat).includes("system"))).toBe(true);
    expect([first, second, third].map((run) => run.sources.cache?.state)).toEqual(["created", "reused", "reused"]);
    expect(third.done.usage?.cachedTokens).toBeGreaterThan(1024);
  });

  it("extends the cache's lifetime with PATCH ?updateMask=ttl when little of it is left", async () => {
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    const name = first.sources.cache!.name;
    advanceBoth(500_000); // 100 s left of 600

    const second = await ask(index, "Who signs the handbook?", { pin: ["handbook.md"] });
    expect(patches()).toHaveLength(1);
    expect(patches()[0]).toMatchObject({
      path: `/v1beta/${name}`,
      query: { updateMask: "ttl" },
      body: { ttl: "600s" },
      status: 200,
    });
    expect(second.sources.cache).toMatchObject({ name, state: "refreshed" });
    expect(Date.parse(second.sources.cache!.expireTime!) - emulator.now()).toBeGreaterThan(590_000);
    expect(creates()).toHaveLength(1);

    // The registry holds the new expiry: another handle reuses the cache without a PATCH.
    await index.close();
    index = await open();
    const { registry } = await index.listCaches();
    expect(registry).toEqual([
      expect.objectContaining({ name, expireTime: second.sources.cache!.expireTime, expired: false }),
    ]);
    const third = await ask(index, "Any rules for ferries?", { pin: ["handbook.md"] });
    expect(third.sources.cache?.state).toBe("reused");
    expect(patches()).toHaveLength(1);
  });

  it("recreates a cache the service says is gone (403), and asks once more", async () => {
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    const oldName = first.sources.cache!.name;
    emulator.advanceTime(700_000); // expired at the service; our clock does not know yet

    const second = await ask(index, "Who signs the handbook?", { pin: ["handbook.md"] });
    expect(creates()).toHaveLength(2);
    const [, failed, retried] = chats();
    expect(cachedContentOf(failed!)).toBe(oldName);
    expect(failed!.status).toBe(403);
    const newName = cachedContentOf(retried!);
    expect(newName).toMatch(/^cachedContents\//);
    expect(newName).not.toBe(oldName);
    expect(retried!.status).toBe(200);
    expect(roles(retried!)).toEqual(["user"]);
    expect(second.done.text).not.toBe("");
    expect(second.done.cachedContent).toBe(newName);

    // The registry now names the new cache.
    const third = await ask(index, "Any rules for ferries?", { pin: ["handbook.md"] });
    expect(third.sources.cache).toMatchObject({ name: newName, state: "reused" });
    expect(creates()).toHaveLength(2);
  });

  it("recreates a cache that has expired by the clock before asking, without a failed request", async () => {
    await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    advanceBoth(700_000);
    const second = await ask(index, "Who signs the handbook?", { pin: ["handbook.md"] });
    expect(second.sources.cache?.state).toBe("created");
    expect(creates()).toHaveLength(2);
    expect(chats().map((chat) => chat.status)).toEqual([200, 200]);
    expect(patches()).toHaveLength(0);
  });

  it("sends a pinned document that is too small for the service uncached, and remembers it", async () => {
    emulator.options.cacheMinTokens = { "gemini-3-flash-preview": 1_000_000 };
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    expect(creates()).toHaveLength(1);
    expect(creates()[0]!.status).toBe(400);
    expect(first.sources.cache).toBeUndefined();
    expect(first.sources.notices).toEqual([
      expect.objectContaining({ kind: "cache-too-small", model: "gemini-3-flash-preview", minimum: 1_000_000 }),
    ]);
    expect(first.sources.notices[0]!.message).toMatch(
      /below gemini-3-flash-preview's context-cache minimum of 1000000/,
    );
    const chat = chats()[0]!;
    expect(cachedContentOf(chat)).toBeUndefined();
    expect(roles(chat)).toEqual(["system", "user", "user"]);
    expect(bodyOf(chat).messages[1]!.content).toContain('<document n="P1" path="handbook.md">');
    expect(first.done.text).not.toBe("");
    expect(first.done.usage?.cachedTokens).toBe(0);

    await index.close();
    index = await open();
    await ask(index, "Who signs the handbook?", { pin: ["handbook.md"] });
    expect(creates()).toHaveLength(1);
    expect((await index.listCaches()).registry).toEqual([
      expect.objectContaining({ status: "too-small", minTokens: 1_000_000, pins: ["handbook.md"] }),
    ]);
  });

  it("does not try to cache the instruction alone: no pins, no cache, a system message as before", async () => {
    const { sources, done } = await ask(index, "When is the lighthouse lamp cleaned?");
    expect(creates()).toHaveLength(0);
    expect(sources.cache).toBeUndefined();
    expect(sources.pinned).toEqual([]);
    expect(sources.notices).toEqual([]);
    expect(roles(chats()[0]!)).toEqual(["system", "user"]);
    expect(cachedContentOf(chats()[0]!)).toBeUndefined();
    expect(done.text).toMatch(/\[1\]/);
  });

  it("sends pins uncached with cache: false", async () => {
    await ask(index, "When do keepers log changes?", { pin: ["handbook.md"], cache: false });
    expect(creates()).toHaveLength(0);
    expect(roles(chats()[0]!)).toEqual(["system", "user", "user"]);
  });

  it("answers with a given cachedContent as it is, and says so when it is gone", async () => {
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    const name = first.sources.cache!.name;
    const id = name.slice("cachedContents/".length);

    const given = await ask(index, "Who signs the handbook?", { cachedContent: id });
    expect(creates()).toHaveLength(1);
    expect(cachedContentOf(chats()[1]!)).toBe(name);
    expect(roles(chats()[1]!)).toEqual(["user"]);
    expect(given.sources.cache).toEqual({ name, state: "given" });
    expect(given.done.usage?.cachedTokens).toBeGreaterThan(1024);

    emulator.advanceTime(700_000);
    await expect(collect(index.answer("Again?", { cachedContent: name }))).rejects.toThrow(ConfigError);
    await expect(collect(index.answer("Again?", { cachedContent: name }))).rejects.toThrow(
      /does not exist .*listCaches\(\)/,
    );
    expect(creates()).toHaveLength(1);
  });

  it("refuses a pin that is not in the index, and --pin with --cached-content", async () => {
    await expect(collect(index.answer("x?", { pin: ["missing.md"] }))).rejects.toThrow(
      /Cannot pin missing\.md: it is not in the index/,
    );
    await expect(
      collect(index.answer("x?", { pin: ["handbook.md"], cachedContent: "cachedContents/abc" })),
    ).rejects.toThrow(/not both/);
    expect(chats()).toHaveLength(0);
  });

  it("lists our registry and the service's caches, and deletes one from both", async () => {
    const first = await ask(index, "When do keepers log changes?", { pin: ["handbook.md"] });
    const name = first.sources.cache!.name;
    const listed = await index.listCaches();
    expect(listed.registry).toEqual([
      expect.objectContaining({
        name,
        status: "ready",
        model: "gemini-3-flash-preview",
        pins: ["handbook.md"],
        expired: false,
      }),
    ]);
    expect(listed.registry[0]!.totalTokens).toBe(first.sources.cache!.totalTokens);
    expect(listed.remote).toEqual([
      expect.objectContaining({ name, model: "gemini-3-flash-preview", totalTokens: first.sources.cache!.totalTokens }),
    ]);

    expect(await index.deleteCache(name)).toEqual({ deleted: true, forgotten: 1 });
    expect(emulator.requests({ method: "DELETE", path: `/v1beta/${name}` })).toHaveLength(1);
    expect(await index.listCaches()).toEqual({ registry: [], remote: [] });
    expect(await index.deleteCache(name)).toEqual({ deleted: false, forgotten: 0 });
  });
});

describe("gemindex query --pin and gemindex cache, in-process", () => {
  const cli = (
    argv: string[],
    env: Record<string, string> = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL },
  ) => runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus, env });

  it("creates a cache on the first query, reuses it on the next, and reports it", async () => {
    const first = await cli(["query", "When do keepers log changes?", "--pin", "handbook.md"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^\[P1\] handbook\.md \(pinned: \d+ chunks, ~[\d,]+ tokens\)$/m);
    expect(first.stdout).toMatch(/^\[1\] notes\.md/m);
    expect(first.stdout).toContain("Answer:");
    expect(first.stderr).toMatch(/context cache cachedContents\/\w+ created \([\d,]+ tokens, expires /);

    const second = await cli(["--json", "query", "Who signs the handbook?", "--pin", "handbook.md"]);
    expect(second.code).toBe(0);
    const body = JSON.parse(second.stdout) as {
      pinned: unknown[];
      cachedContent: string;
      usage: { cachedTokens: number };
    };
    expect(body.pinned).toEqual([expect.objectContaining({ label: "P1", path: "handbook.md" })]);
    expect(body.cachedContent).toBe(cachedContentOf(chats()[0]!));
    expect(body.usage.cachedTokens).toBeGreaterThan(1024);
    expect(creates()).toHaveLength(1);
  });

  it("sends pins with the question under --no-cache, and uses --cached-content as it is", async () => {
    expect((await cli(["query", "When do keepers log changes?", "--pin", "handbook.md", "--no-cache"])).code).toBe(0);
    expect(creates()).toHaveLength(0);
    expect(roles(chats()[0]!)).toEqual(["system", "user", "user"]);

    await cli(["query", "When do keepers log changes?", "--pin", "handbook.md"]);
    const name = cachedContentOf(chats()[1]!)!;
    const given = await cli(["query", "Who signs it?", "--cached-content", name]);
    expect(given.code).toBe(0);
    expect(given.stderr).toContain(`context cache ${name} given`);
    expect(cachedContentOf(chats()[2]!)).toBe(name);
    expect(roles(chats()[2]!)).toEqual(["user"]);
  });

  it("lists our registry and the service's caches, and deletes one", async () => {
    await cli(["query", "When do keepers log changes?", "--pin", "handbook.md"]);
    const name = cachedContentOf(chats()[0]!)!;

    const listed = await cli(["cache", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `Recorded in this index:\\n  ${name}  gemini-3-flash-preview  [\\d,]+ tokens  expires \\S+  handbook\\.md\\n`,
      ),
    );
    expect(listed.stdout).toMatch(
      new RegExp(
        `At the service:\\n  ${name}  gemini-3-flash-preview  [\\d,]+ tokens  expires \\S+  gemindex \\w+: ` +
          `handbook\\.md`,
      ),
    );
    const json = JSON.parse((await cli(["--json", "cache", "list"])).stdout) as {
      registry: Array<{ name: string }>;
      remote: Array<{ name: string }>;
    };
    expect(json.registry.map((entry) => entry.name)).toEqual([name]);
    expect(json.remote.map((entry) => entry.name)).toEqual([name]);

    const deleted = await cli(["cache", "delete", name]);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted ${name}.\n` });
    expect(emulator.requests({ method: "DELETE" })).toHaveLength(1);
    expect((await cli(["cache", "list"])).stdout).toBe("Recorded in this index:\n  none\nAt the service:\n  none\n");
    expect((await cli(["cache", "delete", name])).stdout).toMatch(/does not exist/);
  });

  it("needs a key for gemindex cache (exit 2)", async () => {
    const run = await cli(["cache", "list"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/GEMINI_API_KEY/);
  });
});

describe("cachedContents client", () => {
  it("lists every page, reads CachedContent fields, and tells a gone cache from a too-small one", async () => {
    const client = new GeminiClient({ apiKey: emulator.apiKey, baseURL: emulator.baseURL, retry: { baseDelayMs: 10 } });
    const big = "Pinned text for the client test. ".repeat(200);
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(
        await createCachedContent(client, {
          model: "gemini-2.5-flash",
          contents: [big],
          systemInstruction: "Cite.",
          ttlSeconds: 300,
          displayName: `n${i}`,
        }),
      );
    expect(made[0]).toMatchObject({ model: "gemini-2.5-flash", displayName: "n0" });
    expect(Date.parse(made[0]!.expireTime!) - Date.parse(made[0]!.createTime!)).toBe(300_000);

    const listed = await listCachedContents(client, { pageSize: 1 });
    expect(listed.map((cache) => cache.name)).toEqual(made.map((cache) => cache.name));
    expect(emulator.requests({ method: "GET", path: "/v1beta/cachedContents" })).toHaveLength(3);

    const id = made[0]!.name.slice("cachedContents/".length);
    expect((await getCachedContent(client, id)).name).toBe(made[0]!.name);
    expect(await deleteCachedContent(client, made[0]!.name)).toBe(true);
    const gone = await getCachedContent(client, made[0]!.name).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(CacheNotFoundError);
    expect(isCacheGone(gone)).toBe(true);
    await expect(updateCachedContentTtl(client, made[0]!.name, 600)).rejects.toBeInstanceOf(CacheNotFoundError);
    expect(await deleteCachedContent(client, made[0]!.name)).toBe(false);

    const small = await createCachedContent(client, {
      model: "gemini-2.5-flash",
      contents: ["tiny"],
      ttlSeconds: 60,
    }).catch((error: unknown) => error);
    expect(small).toBeInstanceOf(CacheTooSmallError);
    expect(small).toMatchObject({ totalTokens: 1, minTokens: 1024, status: 400 });
    expect(isCacheGone(small)).toBe(false);
  });
});
