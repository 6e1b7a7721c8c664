import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { runGemindex } from "../support/run-cli.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let workspace: Workspace;

beforeEach(async () => {
  workspace = await makeWorkspace();
  await workspace.copyFixture("encodings/shift-jis.txt", "notes/潮汐.txt");
  await workspace.copyFixture("encodings/utf8-one-bad-byte.md", "notes/cafe.md");
  await workspace.copyFixture("encodings/windows-1252.txt", "notes/legacy.txt");
});
afterEach(async () => {
  await workspace.cleanup();
});

describe("text in legacy encodings", () => {
  it(`indexes Shift_JIS, windows-1252 and nearly-UTF-8 files, each read correctly, \
with a note naming the decoding`, async () => {
    const run = await runGemindex(["--db", workspace.db, "index", "notes"], { cwd: workspace.corpus, env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 new, 0 changed, 0 unchanged, 0 removed, 0 failed/);
    expect(run.stderr).toMatch(/note: .*notes\/潮汐\.txt: not valid UTF-8; decoded as Shift_JIS/);
    expect(run.stderr).toMatch(
      /note: .*notes\/cafe\.md: not valid UTF-8 \(1 invalid byte sequence\); decoded as UTF-8/,
    );
    expect(run.stderr).toMatch(/note: .*notes\/legacy\.txt: not valid UTF-8; decoded as windows-1252/);

    const index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
    const cafe = await index.search("crème brûlée", { k: 1 });
    expect(cafe.hits[0]!.displayPath).toBe("notes/cafe.md");
    expect(cafe.hits[0]!.text).toContain("The café opens at nine");
    expect(cafe.hits[0]!.text).not.toContain("Ã");
    await index.close();
    const { chunks } = await dumpIndex(workspace.db);
    const japanese = chunks.filter((chunk) => String(chunk.path).endsWith("潮汐.txt")).map((chunk) => chunk.text);
    expect(japanese.join("")).toContain("港の潮位は正午に最も高くなります。満潮の前後一時間は");
  });
});
