import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, embedText, startEmulator } from "./index.js";
import { googleError, native, uploadFile } from "./testing.js";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.options = { batchDelayMs: 60_000 };
});

type Operation = {
  name: string;
  done: boolean;
  metadata: { state: string; model: string; batchStats: Record<string, string> };
  response?: Record<string, unknown>;
};

describe("native generateContent", () => {
  it("answers with candidates, usageMetadata and a thought part when includeThoughts is set", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", {
      systemInstruction: { parts: [{ text: "Cite sources." }] },
      contents: [
        { role: "user", parts: [{ text: "[1] a.md\nLanceDB stores vectors next to the text.\n\nWhere are vectors?" }] },
      ],
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
    });
    expect(reply.status).toBe(200);
    const body = reply.body as {
      candidates: { content: { parts: { text: string; thought?: boolean }[]; role: string }; finishReason: string }[];
      usageMetadata: Record<string, number>;
      modelVersion: string;
    };
    const parts = body.candidates[0]!.content.parts;
    expect(parts[0]!.thought).toBe(true);
    expect(parts[1]!.text).toBe("LanceDB stores vectors next to the text [1].");
    expect(body.candidates[0]!.finishReason).toBe("STOP");
    expect(body.usageMetadata.thoughtsTokenCount).toBeGreaterThan(0);
    expect(body.modelVersion).toBe("gemini-2.5-flash");
  });

  it("refuses unknown fields with a bare error", async () => {
    const reply = await native(emulator, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", {
      contents: [],
      messages: [],
    });
    expect(reply.status).toBe(400);
    expect(Array.isArray(reply.body)).toBe(false);
    expect(googleError(reply.body).message).toContain('Unknown name "messages"');
  });
});

describe("native batches", () => {
  it("runs asyncBatchEmbedContent from a JSONL file and writes key-matched embedding lines", async () => {
    const lines = ["alpha", "beta"].map((text, i) =>
      JSON.stringify({ key: `request_${i}`, request: { output_dimensionality: 3, content: { parts: [{ text }] } } }),
    );
    const { file } = await uploadFile(emulator, Buffer.from(lines.join("\n")));
    const created = (
      await native(emulator, "POST", "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", {
        batch: { displayName: "embeds", inputConfig: { fileName: file.name } },
      })
    ).body as Operation;
    expect(created.name).toMatch(/^batches\/[a-z0-9]{36}$/);
    expect(created.metadata.state).toBe("BATCH_STATE_PENDING");
    expect(created.done).toBe(false);

    emulator.advanceTime(60_000);
    const done = (await native(emulator, "GET", `/v1beta/${created.name}`)).body as Operation;
    expect(done.done).toBe(true);
    expect(done.metadata.state).toBe("BATCH_STATE_SUCCEEDED");
    expect(done.metadata.batchStats).toMatchObject({ requestCount: "2", successfulRequestCount: "2" });
    const responsesFile = (done.response as { responsesFile: string }).responsesFile;
    const download = await fetch(`${emulator.origin}/download/v1beta/${responsesFile}:download?alt=media`, {
      headers: { "x-goog-api-key": emulator.apiKey },
    });
    const output = (await download.text())
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { key: string; response: { tokenCount: string; embedding: { values: number[] } } },
      );
    const beta = output.find((line) => line.key === "request_1")!;
    expect(beta.response.embedding.values).toEqual(embedText("beta", 3));
    expect(beta.response.tokenCount).toBe("1");
  });

  it("runs batchGenerateContent with inline requests and returns inlined responses with metadata", async () => {
    const created = (
      await native(emulator, "POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent", {
        batch: {
          inputConfig: {
            requests: {
              requests: [{ request: { contents: [{ parts: [{ text: "Hello?" }] }] }, metadata: { key: "r1" } }],
            },
          },
        },
      })
    ).body as Operation;
    emulator.completeBatch(created.name);
    const done = (await native(emulator, "GET", `/v1beta/${created.name}`)).body as Operation;
    const inlined = (
      done.response as {
        inlinedResponses: { inlinedResponses: { response: { candidates: unknown[] }; metadata: { key: string } }[] };
      }
    ).inlinedResponses.inlinedResponses;
    expect(inlined).toHaveLength(1);
    expect(inlined[0]!.metadata).toEqual({ key: "r1" });
    expect(inlined[0]!.response.candidates).toHaveLength(1);
  });

  it("cancels and lists native batches", async () => {
    const created = (
      await native(emulator, "POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent", {
        batch: { inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: "x" }] }] } }] } } },
      })
    ).body as Operation;
    expect((await native(emulator, "POST", `/v1beta/${created.name}:cancel`)).body).toEqual({});
    const listed = (await native(emulator, "GET", "/v1beta/batches")).body as { operations: Operation[] };
    expect(listed.operations.map((operation) => [operation.name, operation.metadata.state])).toEqual([
      [created.name, "BATCH_STATE_CANCELLED"],
    ]);
    expect((await native(emulator, "DELETE", `/v1beta/${created.name}`)).body).toEqual({});
    expect((await native(emulator, "GET", `/v1beta/${created.name}`)).status).toBe(404);
  });
});
