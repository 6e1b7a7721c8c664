import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
});
afterEach(async () => {
  await workspace.cleanup();
});

const inputsSent = () =>
  embeddingRequests(emulator)
    .filter((request) => request.status === 200)
    .flatMap(requestInputs);

describe("identical chunk text within one run", () => {
  it("is embedded once: 100 copies of a file cost the inputs of one, and every copy gets its vectors", async () => {
    const sections = Array.from(
      { length: 3 },
      (_, i) =>
        `## Part ${i}\n\nThe copied text, part ${i}, is about tides and the moon and how the two of them move the ` +
        `sea twice a day.`,
    );
    const text = `# Copied\n\n${sections.join("\n\n")}\n`;
    for (let copy = 0; copy < 100; copy++) await workspace.write(`copies/c${String(copy).padStart(3, "0")}.md`, text);
    await workspace.write("other.md", "# Other\n\nSomething else entirely.\n");

    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    // Small commits, so copies arrive while the first is in flight, after it came back, and after it was committed.
    const report = await index.index(["."], { chunking: { maxTokens: 32, overlapTokens: 0 }, commitEvery: 8 });
    await index.close();

    const dump = await dumpIndex(workspace.db);
    const perCopy = dump.chunks.filter((chunk) => String(chunk.path).endsWith("/c000.md")).length;
    const other = dump.chunks.filter((chunk) => String(chunk.path).endsWith("/other.md")).length;
    expect(perCopy).toBeGreaterThan(1);
    const sent = inputsSent();
    expect(sent).toHaveLength(perCopy + other);
    expect(new Set(sent).size).toBe(sent.length);
    expect(report.chunks).toEqual({ written: 100 * perCopy + other, embedded: perCopy + other, reused: 99 * perCopy });
    expect(dump.documents).toHaveLength(101);
    expect(dump.chunks).toHaveLength(100 * perCopy + other);
    for (const chunk of dump.chunks) expect((chunk.vector as number[]).length).toBe(768);
  });
});
