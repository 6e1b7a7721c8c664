import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./index.js";
import { compat, native, uploadFile } from "./testing.js";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ latencyMs: 0 });
});
afterAll(() => emulator.close());

describe("emulator programmatic API", () => {
  it("serves on 127.0.0.1 with the compat baseURL and default key", () => {
    expect(emulator.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulator.baseURL).toBe(`${emulator.origin}/v1beta/openai/`);
    expect(emulator.apiKey).toBe("test-key");
  });

  it("filters the request log by method and path (suffix or RegExp)", async () => {
    emulator.reset();
    await compat(emulator, "GET", "models");
    await compat(emulator, "POST", "embeddings", { model: "gemini-embedding-001", input: "x" });
    await native(emulator, "GET", "/v1beta/models");
    expect(emulator.requests({ path: "embeddings" })).toHaveLength(1);
    expect(emulator.requests({ method: "GET" }).map((entry) => entry.path)).toEqual([
      "/v1beta/openai/models",
      "/v1beta/models",
    ]);
    expect(emulator.requests({ path: /^\/v1beta\/[a-z]/ })).toHaveLength(3);
    expect(emulator.log[1]!.body).toEqual({ model: "gemini-embedding-001", input: "x" });
    expect(emulator.log[0]!.at).toBeLessThanOrEqual(emulator.log[1]!.at);
  });

  it("reset() clears log, files, faults and the clock offset but keeps options", async () => {
    emulator.options.latencyMs = 1;
    await uploadFile(emulator, Buffer.from("x"));
    emulator.inject({ status: 500, times: 5 });
    emulator.advanceTime(10_000_000);
    emulator.reset();
    expect(emulator.log).toHaveLength(0);
    expect(Math.abs(emulator.now() - Date.now())).toBeLessThan(1_000);
    expect((await native(emulator, "GET", "/v1beta/files")).body).toEqual({});
    expect(emulator.options.latencyMs).toBe(1);
  });

  it("refuses to move time backwards", () => {
    expect(() => emulator.advanceTime(-1)).toThrow(RangeError);
  });

  it("listens on a chosen port and closes cleanly", async () => {
    const other = await startEmulator();
    const port = Number(new URL(other.origin).port);
    await other.close();
    const fixed = await startEmulator({ port });
    expect(fixed.origin).toBe(`http://127.0.0.1:${port}`);
    await fixed.close();
    await expect(fetch(`${fixed.origin}/v1beta/models`)).rejects.toThrow();
  });
});
