import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { defaultChatResponder, type Emulator } from "../emulator/index.js";
import type { ChatRequestInfo } from "../emulator/types.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;

/** The "model" reads the scanned tide notice (what the page image shows). */
function responder(request: ChatRequestInfo): string {
  if (/scanned document/.test(request.system) && JSON.stringify(request.messages).includes("data:image/png;base64,"))
    return "HARBOUR OFFICE - TIDE NOTICE\nHigh water at the north jetty: 12:04.\nLow water: 18:17.";
  return defaultChatResponder(request);
}

useEmulator((started) => (emulator = started), { chatResponder: responder });
beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  await workspace.copyFixture("pdf/scanned.pdf", "reports/harbour.pdf");
  await workspace.copyFixture("pdf/scan-only.pdf", "reports/notice.pdf");
  await workspace.write("reports/readme.md", "# Reports\n\nHarbour office reports, some of them scanned.\n");
});
afterEach(async () => {
  await workspace.cleanup();
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const ocrCalls = () =>
  emulator
    .requests({ path: /chat\/completions$/ })
    .filter((request) => JSON.stringify(request.body).includes("scanned document"));

describe("scanned PDF pages", () => {
  it(`with a key, the model reads each scanned page (rendered to PNG), cited by page; \
readings are cached by content`, async () => {
    const run = await runGemindex(["--db", workspace.db, "index", "reports"], { cwd: workspace.corpus, env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 new, 0 changed, 0 unchanged, 0 removed, 0 failed/);
    // Both scans show the same page: read once.
    expect(ocrCalls()).toHaveLength(1);
    const index = await openIndex({
      uri: workspace.db,
      cwd: workspace.corpus,
      apiKey: emulator.apiKey,
      baseURL: emulator.baseURL,
    });
    const { hits } = await index.search("high water north jetty", { k: 5 });
    expect(hits.map((hit) => hit.citation)).toEqual(
      expect.arrayContaining(["reports/harbour.pdf:p2", "reports/notice.pdf:p1"]),
    );
    await index.close();

    await workspace.copyFixture("pdf/scan-only.pdf", "reports/notice-copy.pdf");
    const again = await runGemindex(["--db", workspace.db, "index", "reports"], { cwd: workspace.corpus, env: env() });
    expect(again.stdout).toMatch(/1 new/);
    expect(ocrCalls()).toHaveLength(1);
  });

  it("a page the model refuses is left out with the service's reason; the file's text pages are indexed", async () => {
    emulator.inject({ path: "chat/completions", status: 400, message: "Unable to process input image." });
    const run = await runGemindex(["--db", workspace.db, "index", "reports/harbour.pdf"], {
      cwd: workspace.corpus,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /note: .*harbour\.pdf: page 2 \(scanned\): .*400 INVALID_ARGUMENT: Unable to process input image\./,
    );
    expect(run.stdout).toMatch(/1 new, .* 0 failed/);
  });

  it("without a key, scans are skipped with that reason and the text pages indexed (exit 0)", async () => {
    const run = await runGemindex(["--db", workspace.db, "index", "reports"], { cwd: workspace.corpus, env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 new, 0 changed, 0 unchanged, 0 removed, 0 failed/);
    expect(run.stderr).toMatch(/Skipped 1 file\(s\): scanned PDF without a text layer: needs GEMINI_API_KEY/);
    expect(run.stderr).toMatch(/note: .*harbour\.pdf: page 2 without a text layer \(scanned\) left out/);
  });
});
