import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { escapeControl } from "../../src/cli/output.js";
import type { Emulator } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

// A file name that retitles the terminal (OSC 0 … BEL) and fakes a second line of output.
const evilName = "evil\x1b]0;pwned\x07\nfake.md";
const shownEvilName = "evil\\x1b]0;pwned\\x07\\nfake.md";
// A failing file whose name clears the screen.
const badName = "bad\x1b[2J.txt";
const answerWithEscapes = "Rotate them\x1b[31m every ninety days\x1b[0m [1].\x07\nThen restart.";

const hasBellOrEscape = (text: string) => text.includes("\x07") || text.includes("\x1b");

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started), { chatResponder: () => answerWithEscapes });

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  await workspace.write(evilName, "# Keys\x1b[2J\n\nSigning keys rotate every \x1b[31mninety\x1b[0m days.\x07\n");
  await workspace.write(badName, new Uint8Array([0, 1, 2, 0, 0, 255, 0, 7]));
});
afterEach(async () => {
  await workspace.cleanup();
});

const run = (argv: string[], online = false) =>
  runGemindex(["--db", workspace.db, ...argv], {
    cwd: workspace.corpus,
    env: online ? { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL } : {},
  });

describe("escapeControl", () => {
  it("turns ESC, BEL, CR, DEL, C1 and bidi controls into visible escapes and keeps tabs", () => {
    expect(escapeControl("a\x1b[2Jb\x07c\rd\x7fe\x9bf\u202eg\th\ni")).toBe(
      "a\\x1b[2Jb\\x07c\\rd\\x7fe\\x9bf\\u202eg\th\\ni",
    );
    expect(escapeControl("one\ntwo\x1b", { newlines: "keep" })).toBe("one\ntwo\\x1b");
    expect(escapeControl("plain text")).toBe("plain text");
  });
});

describe("what the CLI writes", () => {
  it("escapes file names and document text in the index report, query passages, citations and status", async () => {
    const index = await run(["index", "."]);
    expect(index.code).toBe(3);
    const corpus = workspace.corpus.split("\\").join("/");
    expect(index.stderr.split("\n")[1]).toBe(
      `gemindex: skipped ${corpus}/bad\\x1b[2J.txt: binary file (NUL byte at offset 0)`,
    );
    expect(index.stdout).toMatch(/^Indexed \S+: 1 new, 0 changed, 0 unchanged, 0 removed, 1 failed/);

    const query = await run(["query", "signing", "keys", "--no-answer"]);
    expect(query.code).toBe(0);
    expect(query.stdout).toBe(
      `[1] ${shownEvilName}:L3 — Keys\\x1b[2J\n    Keys\\x1b[2J Signing keys rotate every \\x1b[31mninety\\x1b[0m ` +
        `days.\\x07\n`,
    );

    const status = await run(["status"]);
    expect(status.stdout).toContain(`  failed: ${corpus}/bad\\x1b[2J.txt: binary file (NUL byte at offset 0)\n`);
    for (const output of [index.stdout, index.stderr, query.stdout, query.stderr, status.stdout, status.stderr]) {
      expect(hasBellOrEscape(output)).toBe(false);
    }
  });

  it("keeps exact strings under --json", async () => {
    await run(["index", "."]);
    const query = JSON.parse((await run(["query", "signing", "keys", "--json"])).stdout) as {
      hits: Array<{ path: string; text: string }>;
    };
    expect(query.hits[0]!.path).toBe(evilName);
    expect(query.hits[0]!.text).toContain("\x1b[31mninety\x1b[0m");
  });

  it("escapes control characters in a streamed answer but keeps its line breaks", async () => {
    expect((await run(["index", "."], true)).code).toBe(3);
    const query = await run(["query", "how", "often", "do", "signing", "keys", "rotate?"], true);
    expect(query.code).toBe(0);
    expect(query.stdout).toContain(
      "Answer:\nRotate them\\x1b[31m every ninety days\\x1b[0m [1].\\x07\nThen restart.\n",
    );
    expect(hasBellOrEscape(query.stdout)).toBe(false);
  });
});
