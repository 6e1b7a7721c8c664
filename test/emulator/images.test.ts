import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir } from "../support/workspace.js";
import type { Emulator } from "./index.js";
import { compat, googleError, native } from "./testing.js";

let emulator: Emulator;

useEmulator((started) => (emulator = started));
beforeEach(() => {
  emulator.reset();
  emulator.options = {};
});

const fixture = (name: string) => readFile(path.join(fixturesDir, "media", name));
const svg = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
);

async function caption(mimeType: string, bytes: Buffer) {
  return compat(emulator, "POST", "chat/completions", {
    model: "gemini-2.5-flash",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "Describe this image." },
          { type: "image_url", image_url: { url: `data:${mimeType};base64,${bytes.toString("base64")}` } },
        ],
      },
    ],
  });
}

describe("chat images", () => {
  it.each([
    ["image/png", "gauge.png"],
    ["image/jpeg", "gauge.jpg"],
    ["image/webp", "gauge.webp"],
  ])("reads %s", async (mimeType, name) => {
    expect((await caption(mimeType, await fixture(name))).status).toBe(200);
  });

  it.each([
    ["image/gif", "gauge.gif"],
    ["image/bmp", "gauge.bmp"],
    ["image/tiff", "gauge.tiff"],
  ])("refuses %s with 400 Unsupported MIME type, as Gemini does", async (mimeType, name) => {
    const reply = await caption(mimeType, await fixture(name));
    expect(reply.status).toBe(400);
    expect(googleError(reply.body)).toMatchObject({
      status: "INVALID_ARGUMENT",
      message: `Unsupported MIME type: ${mimeType}`,
    });
  });

  it("refuses SVG", async () => {
    const reply = await caption("image/svg+xml", svg);
    expect(googleError(reply.body).message).toBe("Unsupported MIME type: image/svg+xml");
  });

  it("decodes the bytes: a GIF sent as image/png is still a GIF, and garbage cannot be read", async () => {
    const disguised = await caption("image/png", await fixture("gauge.gif"));
    expect(googleError(disguised.body).message).toBe("Unsupported MIME type: image/gif");
    const garbage = await caption("image/png", Buffer.from("not an image at all"));
    expect(garbage.status).toBe(400);
    expect(googleError(garbage.body).message).toMatch(/^Unable to process input image/);
  });
});

describe("Embedding 2 images", () => {
  const embed = (parts: unknown[][]) =>
    native(emulator, "POST", "/v1beta/models/gemini-embedding-2-preview:batchEmbedContents", {
      requests: parts.map((content) => ({ model: "models/gemini-embedding-2-preview", content: { parts: content } })),
    });
  const inline = (mimeType: string, bytes: Buffer) => ({
    inline_data: { mime_type: mimeType, data: bytes.toString("base64") },
  });

  it("takes PNG and JPEG", async () => {
    const reply = await embed([
      [inline("image/png", await fixture("gauge.png"))],
      [inline("image/jpeg", await fixture("gauge.jpg"))],
    ]);
    expect(reply.status).toBe(200);
  });

  it.each([
    ["image/webp", "gauge.webp"],
    ["image/gif", "gauge.gif"],
  ])("refuses %s (PNG and JPEG only)", async (mimeType, name) => {
    const reply = await embed([[inline(mimeType, await fixture(name)), { text: "a gauge" }]]);
    expect(reply.status).toBe(400);
    expect(googleError(reply.body).message).toBe(`Unsupported MIME type: ${mimeType}`);
  });

  it("refuses more than 6 images in one request", async () => {
    const png = inline("image/png", await fixture("gauge.png"));
    expect((await embed(Array.from({ length: 6 }, () => [png]))).status).toBe(200);
    const seven = await embed(Array.from({ length: 7 }, () => [png]));
    expect(seven.status).toBe(400);
    expect(googleError(seven.body).message).toMatch(/at most 6 images/);
  });
});
