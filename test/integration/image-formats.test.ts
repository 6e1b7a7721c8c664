import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { defaultChatResponder, type Emulator } from "../emulator/index.js";
import type { ChatRequestInfo } from "../emulator/types.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { fixturesDir, makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

/** Captions name the file the request is about, so each image can be found by its own caption. */
function responder(request: ChatRequestInfo): string {
  const body = JSON.stringify(request.messages);
  const file = /File: ([\w.-]+)/.exec(body)?.[1];
  if (body.includes('"image_url"')) return `A tide gauge drawing from ${file}; the curve peaks at noon.\nText: TIDE`;
  return defaultChatResponder(request);
}

useEmulator((started) => (emulator = started), { chatResponder: responder });
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  for (const name of ["gauge.gif", "gauge.bmp", "gauge.tiff", "gauge.webp"])
    await workspace.copyFixture(`media/${name}`, `scans/${name}`);
  await workspace.write("scans/readme.md", "# Tide scans\n\nScanned tide gauge drawings from the harbour office.\n");
});
afterEach(async () => {
  await workspace.cleanup();
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const index = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, "index", ...argv, "scans"], { cwd: workspace.corpus, env: env() });
/** The MIME types of every image the chat model was sent. */
const captionedTypes = () =>
  emulator
    .requests({ path: /chat\/completions$/ })
    .flatMap((request) => [...JSON.stringify(request.body).matchAll(/data:(image\/[\w+.-]+);base64,/g)])
    .map((match) => match[1]);

describe("images Gemini does not read", () => {
  it("converts GIF, BMP and TIFF to PNG (WebP goes as is): every image is captioned and found, exit 0", async () => {
    const run = await index();
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/skipped/);
    for (const format of ["GIF", "BMP", "TIFF"])
      expect(run.stderr).toMatch(new RegExp(`note: .*scans/gauge\\.\\w+: converted from ${format} to PNG`));
    expect(run.stdout).toMatch(/5 new, 0 changed, 0 unchanged, 0 removed, 0 failed/);
    // The three convert to the same PNG (the same picture), captioned once: descriptions are cached by content.
    expect(new Set(captionedTypes())).toEqual(new Set(["image/png", "image/webp"]));
    const opened = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    for (const name of ["gauge.gif", "gauge.bmp", "gauge.tiff"]) {
      const { hits } = await opened.search("tide gauge drawing", { k: 1, filter: { paths: [`scans/${name}`] } });
      expect(hits[0]!.text).toMatch(/the curve peaks at noon/);
    }
    await opened.close();
  });

  it(`a caption refused for one image is that file's failure, named with the service's reason; \
the rest is indexed (exit 3) and the next run goes on`, async () => {
    // The first image described (scans/gauge.bmp, in path order) is refused.
    emulator.inject({ path: "chat/completions", status: 400, message: "Unsupported MIME type: image/bmp" });
    const first = await index();
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(/4 new, 0 changed, 0 unchanged, 0 removed, 1 failed/);
    expect(first.stderr).toMatch(/scans\/gauge\.bmp.*400 INVALID_ARGUMENT: Unsupported MIME type: image\/bmp/);
    const status = JSON.parse(
      (await runGemindex(["--db", workspace.db, "--json", "status"], { cwd: workspace.corpus, env: env() })).stdout,
    );
    expect(status).toMatchObject({ documents: 4, failedDocuments: 1 });
    expect(status.failures).toEqual([
      { path: expect.stringMatching(/scans\/gauge\.bmp$/), reason: expect.stringMatching(/Unsupported MIME type/) },
    ]);
    // The next run does not stop there: the failed file is tried again, and this time it is read.
    const second = await index();
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/0 failed/);
  });

  it("a caption the model returns empty (safety stop) fails only that file, with the finish reason", async () => {
    emulator.inject({ path: "chat/completions", status: 200, streamEnd: "content_filter" });
    const run = await index();
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/scans\/gauge\.bmp.*the model returned no text \(finish reason: content_filter\)/);
    expect(run.stdout).toMatch(/4 new.*1 failed/);
  });

  it("Embedding 2 gets PNG or JPEG only: WebP is converted, six images at most per request", async () => {
    // Distinct files (a byte after the image's end marker), so no two are the same input: identical
    // inputs within a run are embedded once.
    const variant = async (fixture: string, name: string, i: number) =>
      workspace.write(name, Buffer.concat([await readFile(path.join(fixturesDir, fixture)), Buffer.from([i])]));
    for (let i = 0; i < 4; i++) await variant("media/gauge.png", `scans/copy-${i}.png`, i);
    for (let i = 0; i < 2; i++) await variant("media/gauge.jpg", `scans/photo-${i}.jpg`, i);
    const run = await index("--model", "gemini-embedding-2-preview");
    expect(run.code).toBe(0);
    const requests = emulator.requests({ path: /gemini-embedding-2-preview:batchEmbedContents$/ });
    const types = requests.flatMap((request) =>
      (
        request.body as { requests: Array<{ content: { parts: Array<{ inline_data?: { mime_type: string } }> } }> }
      ).requests.map((item) => item.content.parts[0]!.inline_data?.mime_type),
    );
    // GIF, BMP and TIFF convert to the same PNG with the same caption: one input for the three.
    expect(types).toHaveLength(8);
    expect(new Set(types)).toEqual(new Set(["image/png", "image/jpeg"]));
    expect(requests.every((request) => (request.body as { requests: unknown[] }).requests.length <= 6)).toBe(true);
  });
});
