import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GemindexError, ProviderError } from "../../src/errors.js";
import { createGeminiBatchEmbedder } from "../../src/providers/gemini/batch-embedder.js";
import { GeminiClient } from "../../src/providers/gemini/client.js";
import { createGeminiEmbedder } from "../../src/providers/gemini/embedder.js";
import { deleteFile, downloadFile, uploadFile } from "../../src/providers/gemini/files.js";
import { createGeminiProvider } from "../../src/providers/gemini/index.js";
import type { RetryNotice } from "../../src/providers/retry.js";
import type { BatchEmbedItem, BatchResult } from "../../src/providers/types.js";
import { cosineSimilarity, type Emulator, embedText, startEmulator } from "../emulator/index.js";

const HOUR = 60 * 60 * 1000;

let emulator: Emulator;
let scratch: string;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(async () => {
  emulator.reset();
  // Jobs stay running until a test completes them: no timing depends on real time.
  emulator.options = { batchDelayMs: HOUR };
  scratch = await mkdtemp(path.join(tmpdir(), "gemindex-batch-test-"));
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

interface ConnectOptions {
  model?: string;
  dimensions?: number;
  uploadChunkSize?: number;
  fetch?: typeof fetch;
  /** Embed under gemini-embedding-001's RETRIEVAL_DOCUMENT / RETRIEVAL_QUERY pairing (native Batch API). */
  taskTypes?: boolean;
}

/** A client, the sync embedder and the batch embedder against the emulator; temp files go to `scratch/tmp`. */
async function connect(options: ConnectOptions = {}) {
  const notices: RetryNotice[] = [];
  const client = new GeminiClient({
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
    retry: { baseDelayMs: 1 },
    onRetry: (notice) => notices.push(notice),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // These tests drive the compat (OpenAI-format) batch path, the one plain text and Embedding 2's
  // prefixes use; gemini-embedding-001's task-type (native) path is driven with `taskTypes`.
  const embedder = createGeminiEmbedder(client, {
    model: options.model ?? "gemini-embedding-001",
    dimensions: options.dimensions ?? 768,
    taskTypes: options.taskTypes ?? false,
  });
  const tempDirectory = path.join(scratch, "tmp");
  await rm(tempDirectory, { recursive: true, force: true });
  await mkdir(tempDirectory);
  const config = embedder.config;
  const batch = createGeminiBatchEmbedder(client, config, {
    tempDirectory,
    ...(options.uploadChunkSize === undefined ? {} : { uploadChunkSize: options.uploadChunkSize }),
  });
  return { client, embedder, batch, notices, tempDirectory };
}

const topics = [
  "Glaciers carve deep valleys as the ice moves downhill.",
  "Signing keys are rotated every ninety days with keyctl rotate.",
  "The refund policy allows returns within thirty days of purchase.",
  "Sourdough bread needs a lively starter and a long, cool proof.",
  "Tide pools shelter anemones, crabs and small fish at low tide.",
  "The compiler reports an error when a variable is used before assignment.",
];

function items(count: number, withTitles = false): BatchEmbedItem[] {
  return Array.from({ length: count }, (_, i) => ({
    customId: `chunk-${i}`,
    text: `${topics[i % topics.length]} Item ${i}.`,
    ...(withTitles && i % 2 === 0 ? { title: `Section ${i}` } : {}),
  }));
}

async function collect(results: AsyncIterable<BatchResult>): Promise<BatchResult[]> {
  const all: BatchResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

async function lines(iterable: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of iterable) all.push(line);
  return all;
}

const chunkRequests = () =>
  emulator
    .requests({ method: "POST", path: "/upload/v1beta/files" })
    .filter((request) => request.query.upload_id !== undefined);
const createRequests = () => emulator.requests({ method: "POST", path: /\/openai\/batches$/ });

/** A client-side fetch that cannot read one reply: the request reaches the server (or not), the client sees a reset. */
function losingFetch(matches: (headers: Headers) => boolean, mode: "after-server" | "before-server"): typeof fetch {
  let used = false;
  return async (input, init) => {
    if (!used && matches(new Headers(init?.headers))) {
      used = true;
      if (mode === "after-server") await (await fetch(input, init)).arrayBuffer();
      else
        return new Response(
          JSON.stringify({
            error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" },
          }),
          { status: 503 },
        );
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      });
    }
    return fetch(input, init);
  };
}

describe("uploadFile (native resumable upload)", () => {
  it(`starts a resumable session, sends the file in chunks of the configured size, \
and finalises with the last one`, async () => {
    const { client } = await connect();
    const jsonLines = Array.from({ length: 40 }, (_, i) => `{"line":${i},"text":"ünïcødé ${"x".repeat(40)}"}`);
    const text = `${jsonLines.join("\n")}\n`;
    const file = path.join(scratch, "input.jsonl");
    await writeFile(file, text);
    const size = Buffer.byteLength(text);

    const stored = await uploadFile(client, { path: file }, { displayName: "probe", chunkSize: 1000 });

    expect(stored).toMatchObject({
      name: expect.stringMatching(/^files\/[a-z0-9]+$/),
      displayName: "probe",
      sizeBytes: size,
      mimeType: "application/jsonl",
    });
    const [start] = emulator.requests({ method: "POST", path: "/upload/v1beta/files" });
    expect(start!.headers).toMatchObject({
      "x-goog-api-key": emulator.apiKey,
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": String(size),
      "x-goog-upload-header-content-type": "application/jsonl",
    });
    expect(start!.body).toEqual({ file: { display_name: "probe" } });
    const chunks = chunkRequests();
    const expectedOffsets = Array.from({ length: Math.ceil(size / 1000) }, (_, i) => String(i * 1000));
    expect(chunks.map((request) => request.headers["x-goog-upload-offset"])).toEqual(expectedOffsets);
    expect(chunks.map((request) => request.headers["x-goog-upload-command"])).toEqual([
      ...expectedOffsets.slice(1).map(() => "upload"),
      "upload, finalize",
    ]);
    expect(chunks.map((request) => (request.body as { bytes: number }).bytes)).toEqual([
      ...expectedOffsets.slice(1).map(() => 1000),
      size % 1000,
    ]);
    expect((await lines(downloadFile(client, stored.name))).join("\n")).toBe(text.slice(0, -1));
  });

  it("resumes at the service's received size when a chunk's reply is lost, so no byte is sent twice", async () => {
    const { client, notices } = await connect({
      fetch: losingFetch((headers) => headers.get("x-goog-upload-offset") === "1000", "after-server"),
    });
    const file = path.join(scratch, "input.txt");
    const text = "abcdefghij".repeat(250);
    await writeFile(file, text);

    const stored = await uploadFile(client, { path: file }, { chunkSize: 1000, mimeType: "text/plain" });

    const commands = chunkRequests().map(
      (request) => `${request.headers["x-goog-upload-command"]}@${request.headers["x-goog-upload-offset"] ?? "-"}`,
    );
    expect(commands).toEqual(["upload@0", "upload@1000", "query@-", "upload, finalize@2000"]);
    expect(notices.map((notice) => notice.operation)).toEqual(["file upload"]);
    expect((await lines(downloadFile(client, stored.name))).join("")).toBe(text);
  });

  it("sends a chunk again when the service never received it", async () => {
    const { client } = await connect({
      fetch: losingFetch((headers) => headers.get("x-goog-upload-offset") === "1000", "before-server"),
    });
    const file = path.join(scratch, "input.txt");
    const text = "0123456789".repeat(250);
    await writeFile(file, text);

    const stored = await uploadFile(client, { path: file }, { chunkSize: 1000 });

    const commands = chunkRequests().map(
      (request) => `${request.headers["x-goog-upload-command"]}@${request.headers["x-goog-upload-offset"] ?? "-"}`,
    );
    expect(commands).toEqual(["upload@0", "query@-", "upload@1000", "upload, finalize@2000"]);
    expect(stored.sizeBytes).toBe(2500);
    expect((await lines(downloadFile(client, stored.name))).join("")).toBe(text);
  });

  it("needs Gemini's native endpoints", async () => {
    const client = new GeminiClient({ apiKey: "k", baseURL: "http://127.0.0.1:9/v1/" });
    const file = path.join(scratch, "input.txt");
    await writeFile(file, "x");
    await expect(uploadFile(client, { path: file })).rejects.toThrow(/native/);
    expect(() => createGeminiBatchEmbedder(client, createGeminiEmbedder(client).config)).toThrow(/native Files API/);
  });
});

describe("downloadFile", () => {
  it(`streams lines across network chunks with multibyte characters, \
CRLF endings and a last line without newline intact`, async () => {
    const { client } = await connect();
    const expected = Array.from({ length: 30_000 }, (_, i) =>
      i % 997 === 0 ? "" : `line ${i} — é漢🙂 ${"z".repeat(i % 50)}`,
    );
    const text = expected
      .map((line, i) => (i % 3 === 0 ? `${line}\r\n` : `${line}\n`))
      .join("")
      .replace(/\r?\n$/, "");
    const file = path.join(scratch, "big.txt");
    await writeFile(file, text);
    const stored = await uploadFile(client, { path: file }, { mimeType: "text/plain" });
    expect(stored.sizeBytes).toBeGreaterThan(1_000_000);

    expect(await lines(downloadFile(client, stored.name))).toEqual(expected);
  });

  it("turns a missing file into a ProviderError from the download endpoint", async () => {
    const { client } = await connect();
    await expect(lines(downloadFile(client, "files/nope"))).rejects.toMatchObject({
      name: "ProviderError",
      status: 403,
    });
    expect(emulator.log.at(-1)!.path).toBe("/download/v1beta/files/nope:download");
  });
});

describe("deleteFile", () => {
  it("deletes a file, and deleting it again is not an error", async () => {
    const { client } = await connect();
    const file = path.join(scratch, "input.txt");
    await writeFile(file, "hello");
    const stored = await uploadFile(client, { path: file });
    await deleteFile(client, stored.name);
    await deleteFile(client, stored.name);
    const deletes = emulator.requests({ method: "DELETE" });
    expect(deletes.map((request) => [request.path, request.status])).toEqual([
      [`/v1beta/${stored.name}`, 200],
      [`/v1beta/${stored.name}`, 403],
    ]);
  });
});

describe("BatchEmbedder (compat batches)", () => {
  it(`uploads, submits, polls and returns one fitted vector per item that matches the synchronous \
embedder`, async () => {
    const { batch, embedder, tempDirectory } = await connect({
      model: "gemini-embedding-2-preview",
      uploadChunkSize: 1024,
    });
    const input = items(30, true);

    const uploaded = await batch.upload(
      (async function* () {
        yield* input;
      })(),
      { displayName: "nightly" },
    );
    expect(uploaded).toMatchObject({ fileName: expect.stringMatching(/^files\//), count: 30 });
    expect(chunkRequests().length).toBe(Math.ceil(uploaded.bytes / 1024));
    expect(await readdir(tempDirectory)).toEqual([]); // the JSONL was removed

    const submitted = await batch.submit(uploaded.fileName);
    expect(submitted).toMatchObject({
      id: expect.stringMatching(/^batches\//),
      state: "running",
      inputFile: uploaded.fileName,
    });
    expect(Date.parse(submitted.createdAt!)).toBeLessThanOrEqual(emulator.now());
    expect(createRequests()[0]!.body).toEqual({
      input_file_id: uploaded.fileName,
      endpoint: "/v1/embeddings",
      completion_window: "24h",
    });
    expect((await batch.get(submitted.id)).state).toBe("running");

    emulator.completeBatch(submitted.id);
    const done = await batch.get(submitted.id);
    expect(done).toMatchObject({ state: "succeeded", counts: { total: 30, completed: 30, failed: 0 } });
    expect(done.outputFile).toMatch(/^files\/batch-[a-z0-9]{36}$/);

    const results = await collect(batch.results(done));
    expect(results.map((result) => result.customId)).not.toEqual(input.map((item) => item.customId)); // shuffled
    expect(results.map((result) => result.customId).sort()).toEqual(input.map((item) => item.customId).sort());
    const sync = await embedder.embedDocuments(
      input.map((item) => item.text),
      { titles: input.map((item) => item.title) },
    );
    for (const result of results) {
      const index = input.findIndex((item) => item.customId === result.customId);
      const item = input[index]!;
      expect(result.error).toBeUndefined();
      expect(result.vector).toHaveLength(768);
      const formed = `title: ${item.title ?? "none"} | text: ${item.text}`;
      expect(
        cosineSimilarity(Array.from(result.vector!), embedText(formed, 768, { model: "gemini-embedding-2-preview" })),
      ).toBeGreaterThan(0.99999);
      expect(cosineSimilarity(Array.from(result.vector!), Array.from(sync.vectors[index]!))).toBeGreaterThan(0.99999);
    }
  });

  it(`writes one request line per item with the document form applied and dimensions, \
without encoding_format`, async () => {
    const { batch, client } = await connect({ model: "gemini-embedding-2-preview", dimensions: 256 });
    const { fileName } = await batch.upload([
      { customId: "a", text: "Alpha text", title: "Intro" },
      { customId: "b", text: "Beta text" },
    ]);
    const written = (await lines(downloadFile(client, fileName)))
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown);
    expect(written).toEqual([
      {
        custom_id: "a",
        method: "POST",
        url: "/v1/embeddings",
        body: { model: "gemini-embedding-2-preview", input: "title: Intro | text: Alpha text", dimensions: 256 },
      },
      {
        custom_id: "b",
        method: "POST",
        url: "/v1/embeddings",
        body: { model: "gemini-embedding-2-preview", input: "title: none | text: Beta text", dimensions: 256 },
      },
    ]);
  });

  it(`downloads the 42-character output file by name, never asking for its metadata (which the service \
refuses)`, async () => {
    const { batch, client } = await connect();
    const job = await batch.submit((await batch.upload(items(3))).fileName);
    emulator.completeBatch(job.id);
    const done = await batch.get(job.id);
    expect(done.outputFile!.replace(/^files\//, "")).toHaveLength(42);

    expect(await collect(batch.results(done))).toHaveLength(3);
    expect(emulator.requests({ method: "GET", path: /^\/v1beta\/files\// })).toEqual([]);
    expect(emulator.requests({ method: "GET", path: `/download/v1beta/${done.outputFile}:download` })).toHaveLength(1);
    // The quirk itself: metadata is refused for that id.
    await expect(
      client.call("file metadata", () => client.native("file metadata", { method: "GET", path: done.outputFile! })),
    ).rejects.toThrow(/cannot be more than 40 characters/);
  });

  it(`parses camelCase, failed, malformed and id-less output lines, \
reporting the id-less ones as unreadable`, async () => {
    const { batch, client } = await connect({ dimensions: 128 });
    const vector = embedText("camel case line", 3072);
    const output = [
      JSON.stringify({
        customId: "camel",
        response: {
          statusCode: 200,
          body: { model: "models/gemini-embedding-001", data: [{ object: "embedding", embedding: vector }] },
        },
      }),
      JSON.stringify({
        custom_id: "refused",
        response: {
          status_code: 400,
          body: { error: { code: 400, message: "Bad input", status: "INVALID_ARGUMENT" } },
        },
      }),
      "",
      JSON.stringify({ response: { status_code: 200, body: { data: [{ embedding: vector }] } } }),
      '{"custom_id":"truncated","response":{"status_code":200,"body":{"data":[{"embedding":[0.1,',
    ].join("\r\n");
    const file = path.join(scratch, "output.jsonl");
    await writeFile(file, output);
    const { name } = await uploadFile(client, { path: file });

    const unreadable: { line: number; reason: string }[] = [];
    const results = await collect(
      batch.results(
        { id: "batches/crafted", state: "succeeded", outputFile: name },
        { onUnreadable: (info) => unreadable.push(info) },
      ),
    );

    expect(results.map((result) => [result.customId, result.error ?? "vector"])).toEqual([
      ["camel", "vector"],
      ["refused", "HTTP 400: 400 INVALID_ARGUMENT: Bad input"],
      ["truncated", expect.stringContaining("not valid JSON")],
    ]);
    expect(cosineSimilarity(Array.from(results[0]!.vector!), vector.slice(0, 128))).toBeGreaterThan(0.99999);
    expect(unreadable).toEqual([{ line: 4, reason: expect.stringContaining("no custom_id") }]);
  });

  it("re-fits vectors locally when the service ignores dimensions", async () => {
    emulator.options.dimensionsHonoured = false;
    const { batch, embedder } = await connect({ dimensions: 512 });
    const input = items(4);
    const job = await batch.submit((await batch.upload(input)).fileName);
    emulator.completeBatch(job.id);
    const results = await collect(batch.results(await batch.get(job.id)));
    const sync = await embedder.embedDocuments(input.map((item) => item.text));
    for (const result of results) {
      const index = Number(result.customId.split("-")[1]);
      expect(result.vector).toHaveLength(512);
      expect(Math.hypot(...result.vector!)).toBeCloseTo(1, 5);
      expect(cosineSimilarity(Array.from(result.vector!), Array.from(sync.vectors[index]!))).toBeGreaterThan(0.99999);
    }
  });

  it("surfaces a line the service failed as that item's error, next to the others' vectors", async () => {
    emulator.options.overlongInput = "error";
    const { batch } = await connect();
    const input = [...items(3), { customId: "too-long", text: "word ".repeat(5000) }];
    const job = await batch.submit((await batch.upload(input)).fileName);
    emulator.completeBatch(job.id);
    const done = await batch.get(job.id);
    expect(done.counts).toEqual({ total: 4, completed: 3, failed: 1 });

    const results = await collect(batch.results(done));
    const failed = results.find((result) => result.customId === "too-long")!;
    expect(failed.vector).toBeUndefined();
    expect(failed.error).toMatch(/400 INVALID_ARGUMENT: The input token count \(\d+\) exceeds the maximum/);
    expect(results.filter((result) => result.vector)).toHaveLength(3);
  });

  it("cancels a running job at the slashed path, and cancelling an ended job returns it as it is", async () => {
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);

    const cancelled = await batch.cancel(job.id);
    expect(cancelled).toMatchObject({ id: job.id, state: "cancelled" });
    expect(emulator.log.at(-1)).toMatchObject({
      method: "POST",
      path: `/v1beta/openai/batches/${job.id}/cancel`,
      status: 200,
    });
    expect(await batch.cancel(job.id)).toMatchObject({ state: "cancelled" });
    await expect(collect(batch.results(cancelled))).rejects.toThrow(/is cancelled; only a succeeded job has results/);
  });

  it("cancels through the native endpoint when the compat cancel answers 404", async () => {
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);
    emulator.inject({ method: "POST", path: /\/openai\/batches\/.*\/cancel$/, status: 404 });
    const cancelled = await batch.cancel(job.id);
    expect(cancelled).toMatchObject({ id: job.id, state: "cancelled" });
    expect(emulator.requests({ method: "POST", path: `/v1beta/${job.id}:cancel` })).toHaveLength(1);
  });

  it("lists through the native endpoint when the compat list answers 404", async () => {
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);
    emulator.inject({ method: "GET", path: "/v1beta/openai/batches", status: 404 });
    const listed = await batch.list();
    expect(listed.map((info) => info.id)).toEqual([job.id]);
    expect(listed[0]).toMatchObject({ state: "running", inputFile: job.inputFile });
    expect(emulator.requests({ method: "GET", path: "/v1beta/batches" })).toHaveLength(1);
  });

  it(`runs jobs of a task-type pairing on the native Batch API: RETRIEVAL_DOCUMENT lines with titles, vectors equal \
to a synchronous run's`, async () => {
    const { batch, embedder, client } = await connect({ taskTypes: true });
    const input = items(4, true);
    const { fileName } = await batch.upload(input);
    const written = (await lines(downloadFile(client, fileName))).filter(Boolean).map((line) => JSON.parse(line));
    expect(written[0]).toEqual({
      key: "chunk-0",
      request: {
        model: "models/gemini-embedding-001",
        content: { parts: [{ text: input[0]!.text }] },
        taskType: "RETRIEVAL_DOCUMENT",
        title: input[0]!.title,
        outputDimensionality: 768,
      },
    });
    const job = await batch.submit(fileName);
    expect(emulator.requests({ method: "POST", path: /gemini-embedding-001:asyncBatchEmbedContent$/ })).toHaveLength(1);
    expect(job).toMatchObject({ state: "pending", inputFile: fileName });
    emulator.completeBatch(job.id);
    const done = await batch.get(job.id);
    expect(done.state).toBe("succeeded");
    const results = await collect(batch.results(done));
    const sync = await embedder.embedDocuments(
      input.map((item) => item.text),
      { titles: input.map((item) => item.title) },
    );
    for (const result of results) {
      const index = Number(result.customId.replace("chunk-", ""));
      expect(Array.from(result.vector!)).toEqual(Array.from(sync.vectors[index]!));
    }
    expect(await batch.cancel(job.id)).toMatchObject({ state: "succeeded" });
  });

  it(`reaches the batch at /batches/batches/<id> without percent-encoding the slash, \
with or without the prefix`, async () => {
    emulator.options.acceptEncodedBatchIds = false;
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(1))).fileName);
    const bare = job.id.replace(/^batches\//, "");

    expect((await batch.get(job.id)).id).toBe(job.id);
    expect((await batch.get(bare)).id).toBe(job.id);
    const gets = emulator.requests({ method: "GET", path: /\/openai\/batches\// });
    expect(gets.map((request) => request.path)).toEqual([
      `/v1beta/openai/batches/batches/${bare}`,
      `/v1beta/openai/batches/batches/${bare}`,
    ]);
    expect(gets.every((request) => request.status === 200)).toBe(true);
  });

  it("lists jobs newest first, following the cursor page by page up to the limit", async () => {
    const { batch } = await connect();
    const { fileName } = await batch.upload(items(1));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await batch.submit(fileName)).id);
    emulator.log.length = 0;

    const all = await batch.list({ pageSize: 1 });
    expect(all.map((job) => job.id)).toEqual([...ids].reverse());
    expect(all.every((job) => job.state === "running")).toBe(true);
    const pages = emulator.requests({ method: "GET", path: /\/openai\/batches$/ });
    expect(pages.map((request) => request.query)).toEqual([
      { limit: "1" },
      { limit: "1", after: ids[2] },
      { limit: "1", after: ids[1] },
    ]);

    expect((await batch.list({ limit: 2 })).map((job) => job.id)).toEqual([ids[2], ids[1]]);
  });

  it("reports a failed job with the service's reason", async () => {
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);
    emulator.failBatch(job.id, "The input file could not be read.");

    const failed = await batch.get(job.id);
    expect(failed).toMatchObject({ state: "failed", error: "The input file could not be read." });
    expect(failed.outputFile).toBeUndefined();
    await expect(collect(batch.results(failed))).rejects.toThrow(GemindexError);
  });

  it("reports a job still pending after 48 hours as expired", async () => {
    emulator.options.batchDelayMs = 72 * HOUR;
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);
    emulator.advanceTime(47 * HOUR);
    expect((await batch.get(job.id)).state).toBe("running");
    emulator.advanceTime(1 * HOUR);
    expect((await batch.get(job.id)).state).toBe("expired");
  });

  it("retries a 429 on create after the RetryInfo delay, then creates exactly one job", async () => {
    const { batch, notices } = await connect();
    const { fileName } = await batch.upload(items(2));
    emulator.inject({ method: "POST", path: /\/openai\/batches$/, status: 429, retryDelay: "0.02s" });

    const job = await batch.submit(fileName);

    expect(job.state).toBe("running");
    expect(createRequests().map((request) => request.status)).toEqual([429, 200]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ operation: "batch create", attempt: 1 });
    expect(notices[0]!.delayMs).toBeGreaterThanOrEqual(20);
    expect(notices[0]!.delayMs).toBeLessThanOrEqual(24);
    expect(await batch.list()).toHaveLength(1);
  });

  it(`does not retry a create that may have succeeded (500), and says to check the list before submitting \
again`, async () => {
    const { batch, notices } = await connect();
    const { fileName } = await batch.upload(items(2));
    emulator.inject({ method: "POST", path: /\/openai\/batches$/, status: 500 });

    const error = await batch.submit(fileName).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      status: 500,
      retryable: false,
      message: expect.stringMatching(/may or may not have been created/),
    });
    expect(createRequests()).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  it("reads the minimal batch object (no counts, no times) too", async () => {
    emulator.options.batchObjectStyle = "minimal";
    const { batch } = await connect();
    const job = await batch.submit((await batch.upload(items(2))).fileName);
    expect(job.counts).toBeUndefined();
    expect(job.createdAt).toBeUndefined();
    emulator.completeBatch(job.id);
    const done = await batch.get(job.id);
    expect(done).toMatchObject({ state: "succeeded", outputFile: expect.stringMatching(/^files\/batch-/) });
    expect(await collect(batch.results(done))).toHaveLength(2);
  });

  it(`refuses duplicate or missing custom ids and an empty batch before uploading anything, \
leaving no temp file`, async () => {
    const { batch, tempDirectory } = await connect();
    await expect(
      batch.upload([
        { customId: "a", text: "one" },
        { customId: "a", text: "two" },
      ]),
    ).rejects.toThrow(/appears twice/);
    await expect(batch.upload([{ customId: "", text: "one" }])).rejects.toThrow(/no customId/);
    await expect(batch.upload([])).rejects.toThrow(/at least one item/);
    expect(emulator.requests({ path: "/upload/v1beta/files" })).toEqual([]);
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  it("stops an upload when the signal aborts, with the signal's reason", async () => {
    const { batch, tempDirectory } = await connect();
    const controller = new AbortController();
    const reason = new Error("user pressed Ctrl-C");
    async function* slow() {
      yield { customId: "a", text: "one" };
      controller.abort(reason);
      yield { customId: "b", text: "two" };
    }
    await expect(batch.upload(slow(), { signal: controller.signal })).rejects.toBe(reason);
    expect(emulator.requests({ path: "/upload/v1beta/files" })).toEqual([]);
    expect(await readdir(tempDirectory)).toEqual([]);
  });

  it("deletes the uploaded input file", async () => {
    const { batch } = await connect();
    const { fileName } = await batch.upload(items(1));
    await batch.deleteFile(fileName);
    expect(emulator.requests({ method: "DELETE" }).map((request) => [request.path, request.status])).toEqual([
      [`/v1beta/${fileName}`, 200],
    ]);
  });
});

describe("createGeminiProvider", () => {
  it(`offers a batch embedder with the sync embedder's configuration on Gemini, \
and none on other OpenAI-compatible servers`, () => {
    const gemini = createGeminiProvider({
      apiKey: "k",
      baseURL: emulator.baseURL,
      embeddingModel: "gemini-embedding-2-preview",
      dimensions: 1536,
    });
    expect(gemini.batch?.config).toEqual(gemini.embedder.config);
    expect(gemini.batch?.config).toMatchObject({ model: "gemini-embedding-2-preview", dimensions: 1536 });
    const other = createGeminiProvider({ apiKey: "k", baseURL: "http://127.0.0.1:9/v1/" });
    expect(other.batch).toBeUndefined();
  });
});
