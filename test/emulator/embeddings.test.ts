import { readFile } from "node:fs/promises";
import path from "node:path";
import OpenAI from "openai";
import { beforeEach, describe, expect, it } from "vitest";
import { countTokens } from "../../src/chunking/tokens.js";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir } from "../support/workspace.js";
import { cosineSimilarity, countEmbeddingTokens, type Emulator, embedText, TASK_TYPE_WEIGHT } from "./index.js";
import { compat, googleError, native, sdk } from "./testing.js";

let emulator: Emulator;
let client: OpenAI;

useEmulator((started) => {
  emulator = started;
  client = sdk(emulator);
});
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const norm = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe("compat POST /embeddings", () => {
  it("returns one float vector per input, in order, with no usage", async () => {
    const reply = await compat(emulator, "POST", "embeddings", {
      model: "gemini-embedding-001",
      input: ["alpha beta", "gamma delta"],
      encoding_format: "float",
    });
    expect(reply.status).toBe(200);
    const body = reply.body as {
      object: string;
      data: { object: string; index: number; embedding: number[] }[];
      model: string;
    };
    expect(body.object).toBe("list");
    expect(body.model).toBe("gemini-embedding-001");
    expect(body).not.toHaveProperty("usage");
    expect(body.data.map((item) => item.index)).toEqual([0, 1]);
    expect(body.data[0]!.embedding).toHaveLength(3072);
    expect(body.data[0]!.embedding).toEqual(embedText("alpha beta"));
    expect(body.data[1]!.embedding).toEqual(embedText("gamma delta"));
    expect(norm(body.data[0]!.embedding)).toBeCloseTo(1, 5);
  });

  it("serves the openai SDK's default base64 request and decodes to the same floats", async () => {
    const reply = await client.embeddings.create({ model: "gemini-embedding-001", input: "semantic search" });
    expect(emulator.requests({ path: "embeddings" })[0]!.body).toMatchObject({ encoding_format: "base64" });
    expect(reply.data[0]!.embedding).toEqual(embedText("semantic search"));
    expect(reply.usage).toBeUndefined();
  });

  it("truncates to `dimensions` without re-normalising", async () => {
    const reply = await client.embeddings.create({
      model: "gemini-embedding-001",
      input: "truncate me please",
      dimensions: 768,
      encoding_format: "float",
    });
    const vector = reply.data[0]!.embedding;
    expect(vector).toHaveLength(768);
    expect(vector).toEqual(embedText("truncate me please").slice(0, 768));
    expect(norm(vector)).toBeLessThan(0.999);
  });

  it("ignores `dimensions` when dimensionsHonoured is false (the unconfirmed variant)", async () => {
    emulator.options.dimensionsHonoured = false;
    const reply = await client.embeddings.create({
      model: "gemini-embedding-001",
      input: "x y z",
      dimensions: 768,
      encoding_format: "float",
    });
    expect(reply.data[0]!.embedding).toHaveLength(3072);
  });

  it("garbles the SDK default when base64Mode is 'ignore', as a float-only server would", async () => {
    emulator.options.base64Mode = "ignore";
    const reply = await client.embeddings.create({ model: "gemini-embedding-001", input: "garbled" });
    expect(reply.data[0]!.embedding).not.toHaveLength(3072);
  });

  it("refuses more than 100 inputs with Google's BatchEmbedContents message in an array body", async () => {
    const reply = await compat(emulator, "POST", "embeddings", {
      model: "gemini-embedding-001",
      input: Array.from({ length: 101 }, (_, i) => `text ${i}`),
      encoding_format: "float",
    });
    expect(reply.status).toBe(400);
    expect(Array.isArray(reply.body)).toBe(true);
    expect(googleError(reply.body)).toMatchObject({
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
    });
    await expect(
      client.embeddings.create({
        model: "gemini-embedding-001",
        input: Array.from({ length: 101 }, () => "t"),
        encoding_format: "float",
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("accepts exactly 100 inputs", async () => {
    const reply = await client.embeddings.create({
      model: "gemini-embedding-001",
      input: Array.from({ length: 100 }, (_, i) => `t${i}`),
      encoding_format: "float",
    });
    expect(reply.data).toHaveLength(100);
  });

  it("rejects a top-level task_type as an unknown field unless unconfirmed params are accepted", async () => {
    const body = { model: "gemini-embedding-001", input: "q", task_type: "RETRIEVAL_QUERY", encoding_format: "float" };
    const refused = await compat(emulator, "POST", "embeddings", body);
    expect(googleError(refused.body).message).toBe(
      'Invalid JSON payload received. Unknown name "task_type": Cannot find field.',
    );
    emulator.options.acceptUnconfirmedParams = true;
    expect((await compat(emulator, "POST", "embeddings", body)).status).toBe(200);
  });

  it("answers 404 NOT_FOUND for an unknown or chat model", async () => {
    const reply = await compat(emulator, "POST", "embeddings", { model: "gemini-2.5-flash", input: "q" });
    expect(reply.status).toBe(404);
    expect(googleError(reply.body).message).toMatch(/^models\/gemini-2.5-flash is not found for API version v1beta/);
  });

  it("refuses over-long input with a 400 for the whole request by default, naming the token count", async () => {
    const long = "word ".repeat(3000);
    const refused = await compat(emulator, "POST", "embeddings", {
      model: "gemini-embedding-001",
      input: ["a short one", long],
      encoding_format: "float",
    });
    expect(refused.status).toBe(400);
    expect(googleError(refused.body)).toMatchObject({
      status: "INVALID_ARGUMENT",
      message: "The input token count (3750) exceeds the maximum number of tokens allowed (2048).",
    });
    const nativeRefused = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
      content: { parts: [{ text: long }] },
    });
    expect(googleError(nativeRefused.body).message).toContain("exceeds the maximum number of tokens allowed (2048)");
  });

  it("embeds the first 2,048 tokens instead with overlongInput 'truncate' (Vertex's autoTruncate)", async () => {
    emulator.options.overlongInput = "truncate";
    const long = "word ".repeat(3000);
    const reply = await client.embeddings.create({
      model: "gemini-embedding-001",
      input: long,
      encoding_format: "float",
    });
    expect(reply.data[0]!.embedding).toEqual(embedText(long.slice(0, 2048 * 4)));
  });

  it(`charges layout padding heavily: a padded table that a BPE counts under 512 tokens is refused until \
collapsed`, async () => {
    const cell = (text: string, width: number) => ` ${text.padEnd(width)} `;
    const row = (a: string, b: string, c: string) => `|${cell(a, 60)}|${cell(b, 200)}|${cell(c, 200)}|`;
    const lines = [row("Option", "Meaning", "Default"), `|${"-".repeat(62)}|${"-".repeat(202)}|${"-".repeat(202)}|`];
    for (let i = 0; i < 25; i++) lines.push(row(`opt${i}`, `what option ${i} does`, `${i * 10}`));
    const padded = lines.join("\n");
    expect(countTokens(padded)).toBeLessThan(512);
    expect(padded.length).toBeGreaterThan(12_000);
    expect(countEmbeddingTokens(padded)).toBeGreaterThan(2048);
    const refused = await compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: padded });
    expect(refused.status).toBe(400);
    expect(googleError(refused.body).message).toMatch(/^The input token count \(\d+\) exceeds the maximum/);

    const collapsed = padded.replace(/ {2,}/g, " ").replace(/-{4,}/g, "---");
    expect(countEmbeddingTokens(collapsed)).toBe(Math.ceil(collapsed.length / 4));
    expect(
      (await compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: collapsed })).status,
    ).toBe(200);
  });
});

describe("embedding meaning", () => {
  it("puts a question closer to the passage that answers it than to an unrelated one", () => {
    const query = embedText("How does the indexer recover after a crash?");
    const related = embedText(
      "After a crash the indexer recovers by replaying the manifest; chunks are written first.",
    );
    const unrelated = embedText("Bananas are rich in potassium and grow in tropical climates.");
    expect(cosineSimilarity(query, related)).toBeGreaterThan(0.3);
    expect(cosineSimilarity(query, related)).toBeGreaterThan(cosineSimilarity(query, unrelated) + 0.25);
  });

  it("keeps the ranking at 768 dimensions", () => {
    const query = embedText("refund policy for damaged goods", 768);
    const related = embedText("Our refund policy covers damaged goods within 30 days.", 768);
    const unrelated = embedText("The conference schedule lists keynote speakers.", 768);
    expect(cosineSimilarity(query, related)).toBeGreaterThan(cosineSimilarity(query, unrelated) + 0.25);
  });

  it("gives unrelated vectors for the same text under different models", () => {
    const a = embedText("same text", 3072);
    const b = embedText("same text", 3072, { model: "gemini-embedding-2-preview" });
    expect(Math.abs(cosineSimilarity(a, b))).toBeLessThan(0.2);
  });
});

describe("native embedContent / batchEmbedContents", () => {
  it("embedContent returns {embedding:{values}} honouring outputDimensionality", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
      content: { parts: [{ text: "native text" }] },
      taskType: "RETRIEVAL_DOCUMENT",
      title: "A title",
      outputDimensionality: 256,
    });
    expect(reply.status).toBe(200);
    expect((reply.body as { embedding: { values: number[] } }).embedding.values).toEqual(
      embedText("native text", 256, { taskType: "RETRIEVAL_DOCUMENT" }),
    );
  });

  it("batchEmbedContents embeds each request and requires the path model in every request", async () => {
    const ok = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", {
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "one" }] }, task_type: "RETRIEVAL_QUERY" },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "two" }] }, outputDimensionality: 128 },
      ],
    });
    const embeddings = (ok.body as { embeddings: { values: number[] }[] }).embeddings;
    expect(embeddings.map((embedding) => embedding.values.length)).toEqual([3072, 128]);
    const mismatch = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", {
      requests: [{ model: "models/gemini-embedding-2-preview", content: { parts: [{ text: "one" }] } }],
    });
    expect(mismatch.status).toBe(400);
    expect(Array.isArray(mismatch.body)).toBe(false);
  });

  it("rejects an invalid taskType with the enum error", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
      content: { parts: [{ text: "x" }] },
      taskType: "SEARCH",
    });
    expect(reply.status).toBe(400);
    expect(googleError(reply.body).message).toContain("Invalid value at 'task_type'");
  });

  it("embeds inline images on gemini-embedding-2-preview and refuses them on 001", async () => {
    const png = await readFile(path.join(fixturesDir, "media/gauge.png"));
    const image = { inline_data: { mime_type: "image/png", data: png.toString("base64") } };
    const ok = await native(emulator, "POST", "/v1beta/models/gemini-embedding-2-preview:embedContent", {
      content: { parts: [image] },
    });
    expect(ok.status).toBe(200);
    const values = (ok.body as { embedding: { values: number[] } }).embedding.values;
    expect(values).toHaveLength(3072);
    const again = await native(emulator, "POST", "/v1beta/models/gemini-embedding-2-preview:embedContent", {
      content: { parts: [image] },
    });
    expect((again.body as { embedding: { values: number[] } }).embedding.values).toEqual(values);
    const refused = await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:embedContent", {
      content: { parts: [image] },
    });
    expect(refused.status).toBe(400);
  });

  it("re-normalises truncated gemini-embedding-2-preview vectors", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-embedding-2-preview:embedContent", {
      content: { parts: [{ text: "task: search result | query: lance db" }] },
      outputDimensionality: 768,
    });
    expect(norm((reply.body as { embedding: { values: number[] } }).embedding.values)).toBeCloseTo(1, 5);
  });
});

/** One native batchEmbedContents request of gemini-embedding-001. */
const nativeRequest = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "models/gemini-embedding-001",
  content: { parts: [{ text }] },
  ...extra,
});
const batchEmbed = (requests: unknown[]) =>
  native(emulator, "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents", { requests });
const valuesOf = (body: unknown) => (body as { embeddings: { values: number[] }[] }).embeddings.map((e) => e.values);

describe("native batchEmbedContents is as strict as compat", () => {
  it("refuses an over-long input with a 400 for the whole request, with compat's message and count", async () => {
    const long = "word ".repeat(3000);
    const refused = await batchEmbed([nativeRequest("a short one"), nativeRequest(long)]);
    expect(refused.status).toBe(400);
    expect(Array.isArray(refused.body)).toBe(false);
    expect(googleError(refused.body)).toMatchObject({
      status: "INVALID_ARGUMENT",
      message: "The input token count (3750) exceeds the maximum number of tokens allowed (2048).",
    });
    expect(emulator.requests({ path: /:batchEmbedContents$/ })[0]!.status).toBe(400);
  });

  it("counts a title with its text, for the input limit and the per-minute tokens", async () => {
    const text = "x".repeat(2040 * 4); // 2,040 tokens
    const title = "t".repeat(40); // 10 more
    expect((await batchEmbed([nativeRequest(text, { taskType: "RETRIEVAL_DOCUMENT" })])).status).toBe(200);
    const refused = await batchEmbed([nativeRequest(text, { taskType: "RETRIEVAL_DOCUMENT", title })]);
    expect(googleError(refused.body).message).toBe(
      "The input token count (2050) exceeds the maximum number of tokens allowed (2048).",
    );
    emulator.reset();
    emulator.options.limits = { "gemini-embedding-001": { tpm: 2005 } };
    const short = "x".repeat(2000 * 4);
    const overQuota = await batchEmbed([nativeRequest(short, { taskType: "RETRIEVAL_DOCUMENT", title })]);
    expect(overQuota.status).toBe(429);
    expect((await batchEmbed([nativeRequest(short, { taskType: "RETRIEVAL_DOCUMENT" })])).status).toBe(200);
  });

  it("counts layout padding like compat: the padded table compat refuses is refused natively too", async () => {
    const padded = `|${" ".repeat(9000)}|\n|${"-".repeat(9000)}|`;
    expect(countEmbeddingTokens(padded)).toBeGreaterThan(2048);
    const viaCompat = await compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: padded });
    const viaNative = await batchEmbed([nativeRequest(padded, { taskType: "RETRIEVAL_DOCUMENT" })]);
    expect(viaNative.status).toBe(400);
    expect(googleError(viaNative.body).message).toBe(googleError(viaCompat.body).message);
  });

  it("counts every input as a request under the free tier, and names the empty one as requests[i]", async () => {
    emulator.options.tier = "free";
    expect((await batchEmbed(Array.from({ length: 60 }, (_, i) => nativeRequest(`text ${i}`)))).status).toBe(200);
    const over = await batchEmbed(Array.from({ length: 41 }, (_, i) => nativeRequest(`more ${i}`)));
    expect(over.status).toBe(429);
    expect(googleError(over.body).message).toContain("Please retry in");
    emulator.reset();
    const empty = await batchEmbed([nativeRequest("fine"), nativeRequest(" ")]);
    expect(googleError(empty.body).message).toContain("requests[1].content.parts[0].data");
  });

  it(`refuses a title under a task type other than RETRIEVAL_DOCUMENT (ignored with \
titleWithoutDocumentTask)`, async () => {
    const refused = await batchEmbed([nativeRequest("q", { taskType: "RETRIEVAL_QUERY", title: "T" })]);
    expect(refused.status).toBe(400);
    expect(googleError(refused.body).message).toContain("requests[0].title");
    expect((await batchEmbed([nativeRequest("q", { title: "T" })])).status).toBe(400);
    emulator.options.titleWithoutDocumentTask = "ignore";
    expect((await batchEmbed([nativeRequest("q", { taskType: "RETRIEVAL_QUERY", title: "T" })])).status).toBe(200);
  });
});

describe("task types shape the vectors", () => {
  const text = "The lighthouse lamp is cleaned every Tuesday morning.";
  const embedAs = async (taskType?: string) => {
    const reply = await batchEmbed([nativeRequest(text, taskType ? { taskType } : {})]);
    return valuesOf(reply.body)[0]!;
  };

  it(`a documented pairing matches a text with itself; a mixed one does not (RETRIEVAL_QUERY \
against plain)`, async () => {
    const document = await embedAs("RETRIEVAL_DOCUMENT");
    const query = await embedAs("RETRIEVAL_QUERY");
    const plain = await embedAs();
    expect(cosineSimilarity(query, document)).toBeCloseTo(1, 5);
    expect(cosineSimilarity(plain, embedText(text))).toBeCloseTo(1, 5);
    const mixed = cosineSimilarity(query, plain);
    expect(mixed).toBeCloseTo(1 / Math.sqrt(1 + TASK_TYPE_WEIGHT ** 2), 2);
    expect(mixed).toBeLessThan(0.95);
    expect(cosineSimilarity(await embedAs("QUESTION_ANSWERING"), document)).toBeCloseTo(1, 5);
    expect(cosineSimilarity(await embedAs("SEMANTIC_SIMILARITY"), document)).toBeLessThan(0.95);
  });

  it(`keeps retrieval working under the documented pairing: a question is closest to the passage that \
answers it`, () => {
    const query = embedText("When is the lighthouse lamp cleaned?", 768, { taskType: "RETRIEVAL_QUERY" });
    const related = embedText(text, 768, { taskType: "RETRIEVAL_DOCUMENT" });
    const unrelated = embedText("Bananas grow in tropical climates.", 768, { taskType: "RETRIEVAL_DOCUMENT" });
    expect(cosineSimilarity(query, related)).toBeGreaterThan(cosineSimilarity(query, unrelated) + 0.2);
  });

  it("leaves Embedding 2 alone (it takes no task type)", () => {
    const options = { model: "gemini-embedding-2-preview" };
    expect(embedText(text, 768, { ...options, taskType: "RETRIEVAL_QUERY" })).toEqual(embedText(text, 768, options));
  });
});
