import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AnswerEvent, type GemIndex, InvalidAnswerError, openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let index: GemIndex;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options = {};
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  await index.index(["."]);
  emulator.reset();
});
afterEach(async () => {
  await index.close();
  await workspace.cleanup();
});

type Done = Extract<AnswerEvent, { type: "done" }>;
type ChatBody = { messages: Array<{ role: string; content: string }>; response_format?: unknown; tools?: unknown };

async function lastEvent(iterable: AsyncIterable<AnswerEvent>): Promise<AnswerEvent[]> {
  const events: AnswerEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

const chatBodies = () => emulator.requests({ path: /chat\/completions$/ }).map((request) => request.body as ChatBody);

const commandsSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    commands: { type: "array", minItems: 1, items: { $ref: "#/$defs/command" } },
  },
  required: ["commands"],
  additionalProperties: false,
  $defs: {
    command: {
      type: "object",
      properties: { name: { type: "string" }, everyDays: { type: "integer", minimum: 1 } },
      required: ["name", "everyDays"],
      additionalProperties: false,
    },
  },
};

const validReply = JSON.stringify({
  data: { commands: [{ name: "keyctl rotate", everyDays: 90 }] },
  sources: ["1"],
});

describe("answer({ schema })", () => {
  it("asks for JSON with response_format and returns the validated data with its citations", async () => {
    emulator.options.chatResponder = () => validReply;
    const events = await lastEvent(
      index.answer("Which commands rotate keys, and how often?", { schema: commandsSchema, k: 2 }),
    );
    expect(events.map((event) => event.type)).toEqual(["sources", "usage", "done"]);
    const done = events.at(-1) as Done;
    expect(done.data).toEqual({ commands: [{ name: "keyctl rotate", everyDays: 90 }] });
    expect(done.attempts).toBe(1);
    expect(done.citations).toEqual([expect.objectContaining({ n: 1, citation: "guide.md:L3-L13" })]);

    const [body] = chatBodies();
    expect(body!.tools).toBeUndefined();
    const format = body!.response_format as { type: string; json_schema: { schema: Record<string, unknown> } };
    expect(format.type).toBe("json_schema");
    // The user's schema sits under "data", its definitions at the top where its $refs point.
    expect(format.json_schema.schema).toMatchObject({
      required: ["data", "sources"],
      properties: { data: { required: ["commands"] } },
      $defs: { command: commandsSchema.$defs.command },
    });
    expect(JSON.stringify(format.json_schema.schema.properties)).not.toContain("$schema");
  });

  it("asks once more, with the validation error, when the first reply does not match", async () => {
    const replies = [
      JSON.stringify({ data: { commands: [{ name: "keyctl rotate", everyDays: "90" }] }, sources: [] }),
      validReply,
    ];
    emulator.options.chatResponder = () => replies.shift()!;
    const done = (await lastEvent(index.answer("Commands?", { schema: commandsSchema }))).at(-1) as Done;
    expect(done.attempts).toBe(2);
    expect(done.data).toEqual({ commands: [{ name: "keyctl rotate", everyDays: 90 }] });
    const retry = chatBodies()[1]!;
    const roles = retry.messages.map((message) => message.role);
    expect(roles).toEqual(["system", "user", "assistant", "user"]);
    expect(retry.messages[2]!.content).toContain('"everyDays":"90"');
    expect(retry.messages[3]!.content).toContain(
      "That reply does not match the schema: data/commands/0/everyDays must be integer",
    );
  });

  it("gives up after the retry with InvalidAnswerError (exit code 4) naming the validation error", async () => {
    emulator.options.chatResponder = () => "not json at all";
    const failure = lastEvent(index.answer("Commands?", { schema: commandsSchema }));
    await expect(failure).rejects.toThrow(InvalidAnswerError);
    await expect(lastEvent(index.answer("Commands?", { schema: commandsSchema }))).rejects.toThrow(
      /did not match the schema, twice: it is not JSON/,
    );
    expect(new InvalidAnswerError("x").code).toBe("INVALID_ANSWER");
  });

  it("takes citations from [n] markers inside the data's strings too", async () => {
    // The emulator's own JSON mode puts its cited answer into the string field, and no "sources".
    const schema = { type: "object", properties: { summary: { type: "string" } }, required: ["summary"] };
    const events = await lastEvent(index.answer("Glaciers?", { schema, k: 2 }));
    const done = events.at(-1) as Done;
    expect(done.data).toEqual({ summary: expect.stringMatching(/\[1\]/) });
    // [1] and [2] are the two sources retrieved (only the first is about glaciers).
    const sources = events.find((event) => event.type === "sources");
    const retrieved = sources?.type === "sources" ? sources.hits.map((hit) => hit.citation) : [];
    expect(retrieved[0]).toBe("manual.pdf:p2");
    expect(done.citations.map((citation) => citation.citation)).toEqual(retrieved);
  });
});

describe("gemindex query --schema", () => {
  const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });

  it("prints the data as JSON on stdout, the sources on stderr; --json gives {data, citations, usage}", async () => {
    await workspace.write("commands.schema.json", JSON.stringify(commandsSchema));
    emulator.options.chatResponder = () => validReply;
    const run = await runGemindex(
      ["--db", workspace.db, "query", "--schema", "commands.schema.json", "-k", "2", "Commands?"],
      {
        cwd: workspace.corpus,
        env: env(),
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ commands: [{ name: "keyctl rotate", everyDays: 90 }] });
    expect(run.stderr).toContain("[1] guide.md:L3-L13");
    const json = await runGemindex(
      ["--db", workspace.db, "--json", "query", "--schema", "commands.schema.json", "-k", "2", "Commands?"],
      { cwd: workspace.corpus, env: env() },
    );
    const body = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      data: { commands: [{ name: "keyctl rotate", everyDays: 90 }] },
      citations: [{ n: 1, citation: "guide.md:L3-L13" }],
      usage: { promptTokens: expect.any(Number) },
    });
  });

  it("exits 4 with the validation error after one retry", async () => {
    await workspace.write("commands.schema.json", JSON.stringify(commandsSchema));
    emulator.options.chatResponder = () => JSON.stringify({ data: { commands: [] }, sources: [] });
    const run = await runGemindex(["--db", workspace.db, "query", "--schema", "commands.schema.json", "Commands?"], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("did not match the schema, twice: data/commands must NOT have fewer than 1 items");
    expect(chatBodies()).toHaveLength(2);
  });

  it("exits 2 for a schema file that is missing, not JSON, or not a schema", async () => {
    await workspace.write("broken.json", "{ nope");
    await workspace.write("wrong.json", '{"type": "banana"}');
    const run = (file: string) =>
      runGemindex(["--db", workspace.db, "query", "--schema", file, "x"], { cwd: workspace.corpus, env: env() });
    const missing = await run("missing.json");
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringContaining("--schema missing.json: cannot read it (ENOENT)"),
    ]);
    const broken = await run("broken.json");
    expect([broken.code, broken.stderr]).toEqual([2, expect.stringContaining("--schema broken.json: not valid JSON")]);
    const wrong = await run("wrong.json");
    expect([wrong.code, wrong.stderr]).toEqual([
      2,
      expect.stringContaining("--schema must be a valid JSON Schema, got schema is invalid: data/type"),
    ]);
    expect(chatBodies()).toHaveLength(0);
  });
});
