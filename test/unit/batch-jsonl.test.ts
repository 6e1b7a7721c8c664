import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type BatchOutputLine, parseBatchOutputLine } from "../../src/providers/gemini/parse-batch-output.js";
import { embeddingRequestLine, writeBatchInput } from "../../src/providers/gemini/write-batch-input.js";
import type { BatchEmbedItem } from "../../src/providers/types.js";

const DIMS = 4;
const parse = (line: string | object, dimensions = DIMS) =>
  parseBatchOutputLine(typeof line === "string" ? line : JSON.stringify(line), { dimensions });

function vectorOf(line: BatchOutputLine): number[] {
  if (line.type !== "vector") throw new Error(`expected a vector, got ${JSON.stringify(line)}`);
  return Array.from(line.vector);
}

describe("parseBatchOutputLine", () => {
  it("reads an OpenAI-format snake_case line, cutting the vector to the dimensions and normalising it", () => {
    const line = parse({
      response: {
        status_code: 200,
        body: { data: [{ object: "embedding", embedding: [3, 4, 0, 0, 9, 9] }], model: "models/gemini-embedding-001" },
      },
      custom_id: "c1",
    });
    expect(line).toMatchObject({ type: "vector", customId: "c1" });
    const vector = vectorOf(line);
    expect(vector).toHaveLength(4);
    expect(vector[0]).toBeCloseTo(0.6, 6);
    expect(vector[1]).toBeCloseTo(0.8, 6);
  });

  it("reads camelCase keys (statusCode, customId) in any key order", () => {
    const line = parse(
      '{"customId":"c2","response":{"body":{"model":"models/x","data":[{"embedding":[1,0,0,0]}]},"statusCode":200}}',
    );
    expect(line).toMatchObject({ type: "vector", customId: "c2" });
    expect(vectorOf(line)).toEqual([1, 0, 0, 0]);
  });

  it("reads embedding.values bodies and Gemini's native {key, response.embedding} lines", () => {
    expect(
      vectorOf(
        parse({ custom_id: "c3", response: { status_code: 200, body: { embedding: { values: [0, 2, 0, 0] } } } }),
      ),
    ).toEqual([0, 1, 0, 0]);
    expect(parse({ response: { tokenCount: "1", embedding: { values: [0, 0, 5, 0] } }, key: "n1" })).toMatchObject({
      type: "vector",
      customId: "n1",
    });
  });

  it("decodes a base64 float32 embedding", () => {
    const base64 = Buffer.from(new Float32Array([0, 0, 0, 2]).buffer).toString("base64");
    expect(
      vectorOf(parse({ custom_id: "b", response: { status_code: 200, body: { data: [{ embedding: base64 }] } } })),
    ).toEqual([0, 0, 0, 1]);
  });

  it("accepts a numeric status written as a string and a body written as a JSON string", () => {
    const line = parse({
      custom_id: "s",
      response: { status_code: "200", body: JSON.stringify({ data: [{ embedding: [1, 1, 1, 1] }] }) },
    });
    expect(vectorOf(line)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it("matches lines by custom id, whatever order they arrive in", () => {
    const ids = ["z", "a", "m", "b"];
    const parsed = ids.map((id, i) =>
      parse({ custom_id: id, response: { status_code: 200, body: { data: [{ embedding: [i + 1, 0, 0, 0] }] } } }),
    );
    const byId = new Map(parsed.map((line) => [(line as { customId: string }).customId, line]));
    expect([...byId.keys()].sort()).toEqual(["a", "b", "m", "z"]);
    expect(vectorOf(byId.get("m")!)).toEqual([1, 0, 0, 0]);
  });

  describe("per-line failures", () => {
    it("turns a top-level Google error member into a failure with its status and message", () => {
      const line = parse({
        error: {
          code: 400,
          message: "The input token count (5000) exceeds the maximum number of tokens allowed (2048).",
          status: "INVALID_ARGUMENT",
        },
        custom_id: "e1",
      });
      expect(line).toEqual({
        type: "failure",
        customId: "e1",
        reason:
          "400 INVALID_ARGUMENT: The input token count (5000) exceeds the maximum number of tokens allowed (2048).",
      });
    });

    it("turns a non-2xx status into a failure, reading the (array-wrapped) error body", () => {
      const line = parse({
        response: {
          status_code: 429,
          body: [{ error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED" } }],
        },
        custom_id: "e2",
      });
      expect(line).toEqual({
        type: "failure",
        customId: "e2",
        reason: "HTTP 429: 429 RESOURCE_EXHAUSTED: Quota exceeded",
      });
      expect(parse({ response: { statusCode: 500 }, customId: "e3" })).toEqual({
        type: "failure",
        customId: "e3",
        reason: "HTTP 500",
      });
    });

    it("turns OpenAI-style errors and a 200 carrying an error into failures", () => {
      expect(
        parse({ custom_id: "e4", error: { code: "batch_expired", message: "This line was not executed." } }),
      ).toMatchObject({
        type: "failure",
        reason: "batch_expired: This line was not executed.",
      });
      expect(
        parse({ custom_id: "e5", response: { status_code: 200, body: { error: { message: "no vector" } } } }),
      ).toMatchObject({ type: "failure", reason: "no vector" });
    });

    it("fails a line whose vector is missing, too short, not one, or unusable", () => {
      const body = (value: unknown) => ({ custom_id: "v", response: { status_code: 200, body: value } });
      expect(parse(body({ data: [] }))).toMatchObject({
        type: "failure",
        reason: "expected one vector in the response, got 0",
      });
      expect(parse(body({ data: [{ embedding: [1, 0, 0, 0] }, { embedding: [0, 1, 0, 0] }] }))).toMatchObject({
        reason: "expected one vector in the response, got 2",
      });
      expect(parse(body({ data: [{ embedding: [1, 0] }] }))).toMatchObject({
        type: "failure",
        reason: expect.stringContaining("got a vector of 2 dimensions, expected 4"),
      });
      expect(parse(body({ data: [{ embedding: [0, 0, 0, 0] }] }))).toMatchObject({
        type: "failure",
        reason: expect.stringContaining("all-zero"),
      });
      expect(parse(body({ data: [{ embedding: [1, "x", 0, 0] }] }))).toMatchObject({
        type: "failure",
        reason: expect.stringContaining("non-finite"),
      });
      expect(parse(body({ model: "m" }))).toMatchObject({ type: "failure", reason: "the response holds no embedding" });
      expect(parse({ custom_id: "v" })).toMatchObject({ type: "failure", reason: "the output line has no response" });
    });
  });

  describe("malformed lines", () => {
    it("fails a line that is not JSON but still shows its custom id", () => {
      const truncated = '{"response":{"status_code":200,"body":{"data":[{"embedding":[0.1,0.2';
      expect(parse(`{"custom_id":"cut \\"quoted\\"",${truncated.slice(1)}`)).toMatchObject({
        type: "failure",
        customId: 'cut "quoted"',
        reason: expect.stringContaining("not valid JSON"),
      });
      expect(parse(`${truncated.slice(0, -4)}, "customId": "camel-cut"`)).toMatchObject({
        type: "failure",
        customId: "camel-cut",
      });
    });

    it("counts a line with no readable custom id as unreadable", () => {
      expect(parse('{"response":{"status_code":200,"body":{"data":[{"embe')).toMatchObject({
        type: "unreadable",
        reason: expect.stringContaining("not valid JSON"),
      });
      expect(parse({ response: { status_code: 200, body: { data: [{ embedding: [1, 0, 0, 0] }] } } })).toMatchObject({
        type: "unreadable",
        reason: expect.stringContaining("no custom_id"),
      });
      expect(parse("[1,2,3]")).toMatchObject({ type: "unreadable" });
      expect(parse("42")).toMatchObject({ type: "unreadable" });
      expect(parse({ custom_id: 7, response: {} })).toMatchObject({ type: "unreadable" });
    });
  });
});

describe("embeddingRequestLine", () => {
  it("writes custom_id, method, url and body, in OpenAI's batch input format", () => {
    expect(
      JSON.parse(embeddingRequestLine("id-1", { model: "gemini-embedding-001", input: "text", dimensions: 768 })),
    ).toEqual({
      custom_id: "id-1",
      method: "POST",
      url: "/v1/embeddings",
      body: { model: "gemini-embedding-001", input: "text", dimensions: 768 },
    });
  });
});

describe("writeBatchInput", () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "gemindex-jsonl-test-"));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const readLines = async (file: string) =>
    (await readFile(file, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { custom_id: string; body: Record<string, unknown> });

  it(`streams one line per item from an async iterable, applying the document form, \
and counts bytes exactly`, async () => {
    const file = path.join(directory, "in.jsonl");
    async function* source(): AsyncGenerator<BatchEmbedItem> {
      yield { customId: "a", text: "Grüße 漢字 🙂", title: "T" };
      yield { customId: "b", text: 'quotes " and \\ and\nnewlines' };
    }
    const result = await writeBatchInput(source(), file, {
      model: "gemini-embedding-2",
      dimensions: 256,
      toInput: (item) => `title: ${item.title ?? "none"} | text: ${item.text}`,
    });
    expect(result).toEqual({ count: 2, bytes: (await stat(file)).size });
    const written = await readLines(file);
    expect(written.map((line) => line.body)).toEqual([
      { model: "gemini-embedding-2", input: "title: T | text: Grüße 漢字 🙂", dimensions: 256 },
      { model: "gemini-embedding-2", input: 'title: none | text: quotes " and \\ and\nnewlines', dimensions: 256 },
    ]);
    expect((await readFile(file, "utf8")).split("\n")).toHaveLength(3); // newlines inside texts stay escaped
  });

  it("leaves dimensions out when not given and sends the text as is by default", async () => {
    const file = path.join(directory, "in.jsonl");
    await writeBatchInput([{ customId: "a", text: "plain", title: "ignored" }], file, { model: "m" });
    expect((await readLines(file))[0]!.body).toEqual({ model: "m", input: "plain" });
  });

  it("writes many items through back-pressure", async () => {
    const file = path.join(directory, "in.jsonl");
    const many = Array.from({ length: 20_000 }, (_, i) => ({
      customId: `c${i}`,
      text: `text number ${i} ${"w".repeat(100)}`,
    }));
    const result = await writeBatchInput(many, file, { model: "m" });
    expect(result.count).toBe(20_000);
    expect(result.bytes).toBe((await stat(file)).size);
    const written = await readLines(file);
    expect(written.at(-1)!.custom_id).toBe("c19999");
  });

  it("refuses duplicate and empty custom ids, naming them", async () => {
    await expect(
      writeBatchInput(
        [
          { customId: "x", text: "1" },
          { customId: "x", text: "2" },
        ],
        path.join(directory, "1.jsonl"),
        { model: "m" },
      ),
    ).rejects.toThrow('Batch item customId "x" appears twice');
    await expect(
      writeBatchInput([{ customId: "", text: "1" }], path.join(directory, "2.jsonl"), { model: "m" }),
    ).rejects.toThrow(/no customId/);
  });

  it("never overwrites an existing file", async () => {
    const file = path.join(directory, "exists.jsonl");
    await writeFile(file, "keep");
    await expect(writeBatchInput([{ customId: "a", text: "1" }], file, { model: "m" })).rejects.toMatchObject({
      code: "EEXIST",
    });
    expect(await readFile(file, "utf8")).toBe("keep");
  });
});
