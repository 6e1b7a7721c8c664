import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./index.js";
import { googleError, native, uploadFile } from "./testing.js";

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const JSONL = Buffer.from('{"a":1}\n{"b":2}\n');

describe("native resumable upload", () => {
  it("returns the File resource with string sizeBytes, ACTIVE state and a sha256Hash", async () => {
    const reply = await uploadFile(emulator, JSONL, { displayName: "my-batch" });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("x-goog-upload-status")).toBe("final");
    const file = reply.file;
    expect(file.name).toMatch(/^files\/[a-z0-9]{12}$/);
    expect(file).toMatchObject({
      displayName: "my-batch",
      mimeType: "application/jsonl",
      sizeBytes: String(JSONL.length),
      state: "ACTIVE",
      source: "UPLOADED",
    });
    expect(file.sha256Hash).toBe(Buffer.from(createHash("sha256").update(JSONL).digest("hex")).toString("base64"));
    const created = Date.parse(file.createTime as string);
    expect(Date.parse(file.expirationTime as string) - created).toBe(48 * 3600 * 1000);
    expect(file.uri).toBe(`${emulator.origin}/v1beta/${file.name as string}`);
  });

  it("hands out a session URL on start and logs the raw upload as {bytes}", async () => {
    await uploadFile(emulator, JSONL);
    const [start, upload] = emulator.requests({ path: "/upload/v1beta/files" });
    expect(start!.body).toEqual({ file: { display_name: "upload" } });
    expect(start!.headers["x-goog-upload-command"]).toBe("start");
    expect(upload!.query.upload_id).toEqual(expect.any(String));
    expect(upload!.body).toEqual({ bytes: JSONL.length });
  });

  it("accepts chunked uploads with advancing offsets and reports `active` until finalize", async () => {
    const bytes = Buffer.from("x".repeat(25));
    const reply = await uploadFile(emulator, bytes, { chunkSize: 10 });
    expect(reply.file.sizeBytes).toBe("25");
    const chunks = emulator.requests({ path: "/upload/v1beta/files" }).slice(1);
    expect(chunks.map((entry) => entry.headers["x-goog-upload-offset"])).toEqual(["0", "10", "20"]);
    expect(chunks.map((entry) => entry.status)).toEqual([200, 200, 200]);
  });

  it("refuses a wrong offset", async () => {
    const start = await fetch(`${emulator.origin}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": emulator.apiKey,
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
      },
    });
    const url = start.headers.get("x-goog-upload-url")!;
    const bad = await fetch(url, {
      method: "POST",
      headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "5" },
      body: "abc",
    });
    expect(bad.status).toBe(400);
  });

  it("needs a key to start an upload", async () => {
    const start = await fetch(`${emulator.origin}/upload/v1beta/files`, {
      method: "POST",
      headers: { "x-goog-upload-protocol": "resumable", "x-goog-upload-command": "start" },
    });
    expect(start.status).toBe(403);
  });
});

describe("files get / list / download / delete", () => {
  it("downloads the raw bytes with :download?alt=media under /download and /v1beta", async () => {
    const { file } = await uploadFile(emulator, JSONL);
    for (const prefix of ["/download/v1beta", "/v1beta"]) {
      const response = await fetch(`${emulator.origin}${prefix}/${file.name as string}:download?alt=media`, {
        headers: { "x-goog-api-key": emulator.apiKey },
      });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(JSONL);
    }
  });

  it("gets, lists newest first, and deletes", async () => {
    const first = (await uploadFile(emulator, JSONL, { displayName: "first" })).file;
    const second = (await uploadFile(emulator, JSONL, { displayName: "second" })).file;
    expect((await native(emulator, "GET", `/v1beta/${first.name as string}`)).body).toMatchObject({
      name: first.name,
      displayName: "first",
    });
    const list = (await native(emulator, "GET", "/v1beta/files")).body as { files: { name: string }[] };
    expect(list.files.map((file) => file.name)).toEqual([second.name, first.name]);
    const paged = (await native(emulator, "GET", "/v1beta/files?pageSize=1")).body as {
      files: unknown[];
      nextPageToken: string;
    };
    expect(paged.files).toHaveLength(1);
    const next = (await native(emulator, "GET", `/v1beta/files?pageSize=1&pageToken=${paged.nextPageToken}`)).body as {
      files: { name: string }[];
    };
    expect(next.files[0]!.name).toBe(first.name);
    expect((await native(emulator, "DELETE", `/v1beta/${first.name as string}`)).body).toEqual({});
    const gone = await native(emulator, "GET", `/v1beta/${first.name as string}`);
    expect(gone.status).toBe(403);
    expect(googleError(gone.body).message).toMatch(
      /^You do not have permission to access the File .* or it may not exist\.$/,
    );
  });

  it("answers 404 for missing files with missingFileStatus 404", async () => {
    emulator.options.missingFileStatus = 404;
    expect((await native(emulator, "GET", "/v1beta/files/nope")).status).toBe(404);
  });

  it("lists nothing as {}", async () => {
    expect((await native(emulator, "GET", "/v1beta/files")).body).toEqual({});
  });

  it("refuses metadata calls for ids over 40 characters", async () => {
    const id = `batch-${"a".repeat(36)}`;
    for (const method of ["GET", "DELETE"]) {
      const reply = await native(emulator, method, `/v1beta/files/${id}`);
      expect(reply.status).toBe(400);
      expect(googleError(reply.body).message).toMatch(
        /^\* (Get|Delete)FileRequest\.name: File ID \(name excluding 'files\/'\) cannot be more than 40 characters\./,
      );
    }
  });

  it("deletes files 48 hours after creation", async () => {
    const { file } = await uploadFile(emulator, JSONL);
    emulator.advanceTime(47 * 3600 * 1000);
    expect((await native(emulator, "GET", `/v1beta/${file.name as string}`)).status).toBe(200);
    emulator.advanceTime(3600 * 1000);
    expect((await native(emulator, "GET", `/v1beta/${file.name as string}`)).status).toBe(403);
  });

  it("reports PROCESSING for video until mediaProcessingMs has passed", async () => {
    emulator.options.mediaProcessingMs = 5_000;
    const { file } = await uploadFile(emulator, Buffer.from("mp4"), { mimeType: "video/mp4" });
    expect(file.state).toBe("PROCESSING");
    emulator.advanceTime(5_000);
    expect((await native(emulator, "GET", `/v1beta/${file.name as string}`)).body).toMatchObject({ state: "ACTIVE" });
  });
});
