import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { defaultChatResponder, type Emulator } from "../emulator/index.js";
import type { ChatRequestInfo } from "../emulator/types.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

/** The "model" describes media by what the request carries: images get a gauge caption, audio a transcript. */
function responder(request: ChatRequestInfo): string {
  const body = JSON.stringify(request.messages);
  if (body.includes('"image_url"')) return "A round pressure gauge with a needle pointing at 42 psi.\nText: PSI 0 100";
  if (body.includes('"input_audio"'))
    return "[00:00] The tide rises at noon today.\n[00:05] Fishing boats leave the harbour at dawn.";
  return defaultChatResponder(request);
}

useEmulator((started) => (emulator = started), { chatResponder: responder });
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  await workspace.copyFixture("media/gauge.png", "photos/gauge.png");
  await workspace.copyFixture("media/tone.wav", "audio/briefing.wav");
  await workspace.write("notes.md", "# Notes\n\nThe lighthouse keeper logs the weather every morning.\n");
});
afterEach(async () => {
  await workspace.cleanup();
});

const chatCalls = () => emulator.requests({ path: /chat\/completions$/ });
const open = (options: { apiKey?: string; embeddingModel?: string } = {}) =>
  openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    baseURL: emulator.baseURL,
    apiKey: emulator.apiKey,
    ...options,
  });

describe("images and audio", () => {
  it(`captions images and transcribes audio with the chat model, \
then finds them by what they show and say`, async () => {
    const index = await open();
    const report = await index.index(["."]);
    expect(report.files).toMatchObject({ new: 3, failed: 0 });
    const calls = chatCalls().map((call) => JSON.stringify(call.body));
    expect(calls.some((body) => body.includes('"image_url"') && body.includes("data:image/png;base64,"))).toBe(true);
    expect(calls.some((body) => body.includes('"input_audio"') && body.includes('"format":"wav"'))).toBe(true);

    const image = (await index.search("pressure gauge needle")).hits[0]!;
    expect(image.displayPath).toBe("photos/gauge.png");
    expect(image.text).toContain("42 psi");
    const audio = (await index.search("when do the fishing boats leave the harbour?")).hits[0]!;
    expect(audio.displayPath).toBe("audio/briefing.wav");
    expect(audio.citation).toBe("audio/briefing.wav@00:00-00:05");
    await index.close();
  });

  it("keeps descriptions: an unchanged image is not captioned again when its file is re-indexed", async () => {
    let index = await open();
    await index.index(["."]);
    await index.close();
    const before = chatCalls().length;
    await workspace.write(
      "photos/gauge-copy.png",
      new Uint8Array(await (await import("node:fs/promises")).readFile(`${workspace.corpus}/photos/gauge.png`)),
    );
    index = await open();
    const report = await index.index(["."]);
    await index.close();
    expect(report.files.new).toBe(1);
    expect(chatCalls().length).toBe(before);
  });

  it("without an API key skips images and audio with one notice, and indexes the rest", async () => {
    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    const report = await index.index(["."]);
    await index.close();
    expect(report.outcome).toBe("completed");
    expect(report.files).toMatchObject({ new: 1, skipped: 2, failed: 0 });
    expect(report.notices).toContainEqual(
      expect.objectContaining({ kind: "files-skipped", count: 1, reason: expect.stringMatching(/^image files need/) }),
    );
  });

  it("embeds image bytes natively with gemini-embedding-2-preview, next to the caption", async () => {
    const index = await open({ embeddingModel: "gemini-embedding-2-preview" });
    await index.index(["."]);
    const native = emulator.requests({ path: /models\/gemini-embedding-2-preview:batchEmbedContents$/ });
    expect(native).toHaveLength(1);
    const [request] = (native[0]!.body as { requests: Array<{ content: { parts: Array<Record<string, unknown>> } }> })
      .requests;
    expect(request!.content.parts[0]).toMatchObject({ inline_data: { mime_type: "image/png" } });
    expect(request!.content.parts[1]!.text).toMatch(/^title: .* \| text: .*42 psi/s);
    // Text chunks still go through the compat endpoint with the document prefix.
    const compat = emulator.requests({ path: /\/openai\/embeddings$/ });
    expect((compat[0]!.body as { input: string[] }).input.every((input) => input.startsWith("title: "))).toBe(true);
    expect((await index.search("pressure gauge")).hits[0]!.displayPath).toBe("photos/gauge.png");
    await index.close();
  });

  it("indexes an image linked from Markdown in the context of its heading", async () => {
    await workspace.copyFixture("linked/field-notes.md", "survey/field-notes.md");
    await workspace.copyFixture("media", "media");
    const index = await open();
    await index.index(["survey"]);
    const hit = (await index.search("pressure gauge needle psi", { k: 10 })).hits.find(
      (candidate) => candidate.displayPath === "survey/field-notes.md",
    );
    expect(hit).toBeDefined();
    expect(hit!.headings).toEqual(["Field notes", "North jetty"]);
    expect(hit!.text).toContain("Image gauge.png: The tide curve");
    expect(hit!.citation).toBe("survey/field-notes.md:L7");
    await index.close();
  });
});
