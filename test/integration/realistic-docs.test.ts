import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator, LoggedRequest } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests, requestTaskTypes } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

/**
 * The realistic documentation folder end to end, against the emulator at its strictest defaults
 * (over-long inputs refused, GIF refused by chat, every embedding input counted as a request) and
 * the free tier's quotas: padded Markdown tables, a GIF, a Shift_JIS note and a scanned notice.
 */
let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started), { tier: "free" });
beforeEach(async () => {
  emulator.reset();
  emulator.options = { tier: "free" };
  workspace = await makeWorkspace();
  await workspace.copyFixture("realistic-docs", "docs");
});
afterEach(async () => {
  await workspace.cleanup();
});

const FILES = 10;
const cli = (args: string[], env: Record<string, string> = {}) =>
  runGemindex(["--db", workspace.db, ...args], { cwd: workspace.corpus, env });
const online = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const base = (file: unknown) => String(file).slice(`${workspace.corpus}/`.length);

/** The data URIs' media types of a chat request's image parts. */
function imageTypes(request: LoggedRequest): string[] {
  const messages = (request.body as { messages: Array<{ content: unknown }> }).messages;
  return messages.flatMap((message) =>
    Array.isArray(message.content)
      ? message.content
          .filter((part: { type?: string }) => part.type === "image_url")
          .map((part: { image_url: { url: string } }) => /^data:([^;]+);/.exec(part.image_url.url)?.[1] ?? "?")
      : [],
  );
}

describe("the realistic documentation folder", () => {
  it("is indexed whole with a free-tier key: every readable file, the GIF and the scan read by the model", async () => {
    const run = await cli(["index", "docs"], online());
    expect([0, 3]).toContain(run.code);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^Indexed .*: ${FILES} new, 0 changed, 0 unchanged, 0 removed, 0 failed \\(${FILES} files seen\\)`),
    );
    // What the run changed on the way is named, file by file.
    expect(run.stderr).toContain("docs/images/tide-curve.gif: converted from GIF to PNG (first frame)");
    expect(run.stderr).toContain("docs/notes/tide-notes-ja.txt: not valid UTF-8; decoded as Shift_JIS");
    expect(run.stderr).not.toMatch(/skipped|error/i);

    const { documents, chunks } = await dumpIndex(workspace.db);
    expect(documents).toHaveLength(FILES);
    for (const document of documents) {
      expect(document.status, base(document.path)).toBe("indexed");
      expect(Number(document.chunks), base(document.path)).toBeGreaterThan(0);
    }
    const textOf = (file: string) =>
      chunks
        .filter((chunk) => base(chunk.path) === file)
        .map((chunk) => String(chunk.text))
        .join("\n");
    expect(textOf("docs/notes/tide-notes-ja.txt")).toContain("潮汐表の読み方");
    expect(textOf("docs/scans/tide-notice.pdf")).not.toBe("");

    // Chat saw the GIF and the scanned page only as PNG (it refuses image/gif).
    const chats = emulator.requests({ method: "POST", path: /chat\/completions$/ });
    expect(chats.length).toBeGreaterThanOrEqual(2);
    expect(chats.every((request) => request.status === 200)).toBe(true);
    expect(new Set(chats.flatMap(imageTypes))).toEqual(new Set(["image/png"]));
    // Every embedding request fit the model and the free tier's quotas, under the documented pairing.
    const embeddings = embeddingRequests(emulator);
    expect(embeddings.length).toBeGreaterThan(0);
    expect(embeddings.map((request) => request.status)).toEqual(embeddings.map(() => 200));
    expect(new Set(embeddings.flatMap(requestTaskTypes))).toEqual(new Set(["RETRIEVAL_DOCUMENT"]));
    expect(emulator.log.filter((request) => request.status === 429)).toEqual([]);

    const query = await cli(["query", "--no-answer", "--mode", "vector", "潮汐表の読み方"], online());
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/\[1\] docs\/notes\/tide-notes-ja\.txt/);
    const again = await cli(["index", "docs"], online());
    expect(again.stdout).toMatch(new RegExp(`0 new, 0 changed, ${FILES} unchanged`));
  });

  it(`without a key: text is indexed (Shift_JIS included), the image and the scan are skipped with \
their reasons`, async () => {
    const run = await cli(["index", "docs"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`: ${FILES - 2} new, .*0 failed \\(${FILES} files seen, 2 of unsupported types skipped\\)`),
    );
    expect(run.stderr).toContain("image files need GEMINI_API_KEY (a Gemini model describes them)");
    expect(run.stderr).toContain(
      "scanned PDF without a text layer: needs GEMINI_API_KEY (a Gemini model reads the pages)",
    );
    expect(run.stderr).toContain("docs/notes/tide-notes-ja.txt: not valid UTF-8; decoded as Shift_JIS");
    const { documents } = await dumpIndex(workspace.db);
    expect(documents.map((document) => base(document.path)).sort()).toEqual([
      "docs/README.md",
      "docs/api/http-endpoints.md",
      "docs/changelog.md",
      "docs/cli-reference.md",
      "docs/configuration.md",
      "docs/error-codes.md",
      "docs/notes/tide-notes-ja.txt",
      "docs/troubleshooting.md",
    ]);
    expect(emulator.log).toEqual([]);
  });
});
