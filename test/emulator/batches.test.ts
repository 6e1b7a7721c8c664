import OpenAI from "openai";
import { beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../support/use-emulator.js";
import { type Emulator, embedText } from "./index.js";
import { compat, googleError, native, sdk, uploadFile } from "./testing.js";

let emulator: Emulator;
let client: OpenAI;

useEmulator((started) => {
  emulator = started;
  client = sdk(emulator);
});
beforeEach(() => {
  emulator.reset();
  emulator.options = { batchDelayMs: 60_000 };
});

const jsonl = (lines: unknown[]) => Buffer.from(`${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);

async function download(name: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${emulator.origin}/download/v1beta/${name}:download?alt=media`, {
    headers: { "x-goog-api-key": emulator.apiKey },
  });
  expect(response.status).toBe(200);
  return (await response.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const chatLines = Array.from({ length: 6 }, (_, i) => ({
  custom_id: `request-${i}`,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "gemini-2.5-flash", messages: [{ role: "user", content: `Question number ${i}?` }] },
}));

describe("compat batches", () => {
  it("runs a chat batch end to end: upload, create, in_progress, completed, download camelCase lines", async () => {
    const { file } = await uploadFile(emulator, jsonl(chatLines));
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch.id).toMatch(/^batches\/[a-z0-9]{36}$/);
    expect(batch.status).toBe("in_progress");
    expect(batch.output_file_id).toBeNull();

    // Google's own sample path: /batches/batches/<id>
    const polled = await client.get<OpenAI.Batch>(`/batches/${batch.id}`);
    expect(polled.status).toBe("in_progress");

    emulator.advanceTime(60_000);
    // openai-node percent-encodes the slash: /batches/batches%2F<id>
    const done = await client.batches.retrieve(batch.id);
    expect(emulator.log.at(-1)!.path).toContain("batches%2F");
    expect(done.status).toBe("completed");
    expect(done.output_file_id).toBe(`files/batch-${batch.id.slice("batches/".length)}`);
    expect(done.request_counts).toEqual({ total: 6, completed: 6, failed: 0 });

    const lines = await download(done.output_file_id!);
    // Not in input order.
    expect(lines.map((line) => line.custom_id)).not.toEqual(chatLines.map((line) => line.custom_id));
    expect(lines.map((line) => line.custom_id).sort()).toEqual(chatLines.map((line) => line.custom_id).sort());
    const line = lines.find((candidate) => candidate.custom_id === "request-3")! as {
      response: {
        status_code: number;
        body: Record<string, unknown> & { choices: Record<string, unknown>[]; usage: Record<string, number> };
      };
    };
    expect(Object.keys(line)).toEqual(["response", "custom_id"]);
    expect(line.response.status_code).toBe(200);
    expect(typeof line.response.body.created).toBe("string");
    expect(line.response.body.choices[0]).toEqual({
      message: { role: "assistant", content: expect.stringContaining("Question number 3?") },
      finishReason: "stop",
    });
    expect(line.response.body.usage).toEqual({
      completionTokens: expect.any(Number),
      promptTokens: expect.any(Number),
      totalTokens: expect.any(Number),
    });
  });

  it("runs an embeddings batch with models/-prefixed model and no index", async () => {
    const lines = ["first text", "second text"].map((input, i) => ({
      custom_id: `e${i}`,
      method: "POST",
      url: "/v1/embeddings",
      body: { model: "gemini-embedding-001", input, dimensions: 768 },
    }));
    const { file } = await uploadFile(emulator, jsonl(lines));
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/embeddings",
      completion_window: "24h",
    });
    emulator.completeBatch(batch.id);
    const done = await client.get<OpenAI.Batch>(`/batches/${batch.id}`);
    const output = await download(done.output_file_id!);
    const byId = new Map(output.map((line) => [line.custom_id, line]));
    const body = (
      byId.get("e1") as { response: { body: { model: string; data: { object: string; embedding: number[] }[] } } }
    ).response.body;
    expect(body.model).toBe("models/gemini-embedding-001");
    expect(body.data[0]).toEqual({ object: "embedding", embedding: embedText("second text", 768) });
  });

  it("reports a failing line as an error entry with its custom_id and counts it", async () => {
    const { file } = await uploadFile(
      emulator,
      jsonl([chatLines[0], { ...chatLines[1], body: { model: "gemini-nope", messages: [] } }]),
    );
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    emulator.completeBatch(batch.id);
    const done = await client.get<OpenAI.Batch>(`/batches/${batch.id}`);
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const failed = (await download(done.output_file_id!)).find((line) => line.custom_id === "request-1")!;
    expect(failed.error).toMatchObject({ code: 404, status: "NOT_FOUND" });
  });

  it("refuses metadata for the 42-character output file id but downloads it", async () => {
    const { file } = await uploadFile(emulator, jsonl(chatLines.slice(0, 1)));
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    emulator.completeBatch(batch.id);
    const done = await client.get<OpenAI.Batch>(`/batches/${batch.id}`);
    const metadata = await native(emulator, "GET", `/v1beta/${done.output_file_id!}`);
    expect(metadata.status).toBe(400);
    expect(googleError(metadata.body).message).toContain("cannot be more than 40 characters");
    expect(await download(done.output_file_id!)).toHaveLength(1);
  });

  it("completes on its own after batchDelayMs of real time", async () => {
    emulator.options.batchDelayMs = 20;
    const { file } = await uploadFile(emulator, jsonl(chatLines.slice(0, 1)));
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    let status = batch.status;
    for (let i = 0; i < 50 && status === "in_progress"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = (await client.get<OpenAI.Batch>(`/batches/${batch.id}`)).status;
    }
    expect(status).toBe("completed");
  });

  it("cancels, fails, expires and lists batches", async () => {
    const { file } = await uploadFile(emulator, jsonl(chatLines.slice(0, 1)));
    const create = () =>
      client.batches.create({
        input_file_id: file.name as string,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      });
    const cancelled = await create();
    expect((await client.post<OpenAI.Batch>(`/batches/${cancelled.id}/cancel`)).status).toBe("cancelled");
    const failed = await create();
    emulator.failBatch(failed.id, "boom");
    expect(await client.get<OpenAI.Batch>(`/batches/${failed.id}`)).toMatchObject({
      status: "failed",
      errors: { data: [{ message: "boom" }] },
    });
    emulator.options.batchDelayMs = 72 * 3600 * 1000;
    const expired = await create();
    emulator.advanceTime(48 * 3600 * 1000);
    expect((await client.get<OpenAI.Batch>(`/batches/${expired.id}`)).status).toBe("expired");
    const page = await client.batches.list();
    expect(page.data.map((batch) => batch.id)).toEqual([expired.id, failed.id, cancelled.id]);
    const again = await compat(emulator, "POST", `batches/${cancelled.id}/cancel`);
    expect(again.status).toBe(400);
  });

  it("validates the create request", async () => {
    const { file } = await uploadFile(emulator, jsonl(chatLines.slice(0, 1)));
    const base = { input_file_id: file.name, endpoint: "/v1/chat/completions", completion_window: "24h" };
    expect((await compat(emulator, "POST", "batches", { ...base, completion_window: "1h" })).status).toBe(400);
    expect((await compat(emulator, "POST", "batches", { ...base, endpoint: "/v1/completions" })).status).toBe(400);
    expect(
      googleError((await compat(emulator, "POST", "batches", { ...base, metadata: { a: "b" } })).body).message,
    ).toContain('Unknown name "metadata"');
    expect((await compat(emulator, "POST", "batches", { ...base, input_file_id: "files/missing" })).status).toBe(403);
    expect((await compat(emulator, "GET", "batches/batches/unknown")).status).toBe(404);
  });

  it("can refuse percent-encoded ids (acceptEncodedBatchIds: false)", async () => {
    emulator.options.acceptEncodedBatchIds = false;
    const { file } = await uploadFile(emulator, jsonl(chatLines.slice(0, 1)));
    const batch = await client.batches.create({
      input_file_id: file.name as string,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    await expect(client.batches.retrieve(batch.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.get<OpenAI.Batch>(`/batches/${batch.id}`)).id).toBe(batch.id);
  });
});
