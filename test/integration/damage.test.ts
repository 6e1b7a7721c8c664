import { readdir, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
useEmulator((started) => (emulator = started));

beforeEach(async () => {
  emulator.reset();
  workspace = await makeWorkspace();
  for (let i = 0; i < 12; i++)
    await workspace.write(
      `docs/note-${i}.md`,
      `# Note ${i}\n\nNote ${i} is about subject s${i}: harbour lights and foghorns.\n`,
    );
  const index = await openIndex({
    uri: workspace.db,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
  });
  expect((await index.index(["docs"])).outcome).toBe("completed");
  await index.close();
  emulator.reset();
});
afterEach(async () => {
  await workspace.cleanup();
});

const env = () => ({ GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL });
const gemindex = (...argv: string[]) =>
  runGemindex(["--db", workspace.db, ...argv], { cwd: workspace.corpus, env: env() });

/** The three kinds of damage of the report: a deleted table, a truncated data file, a deleted version history. */
const damages: Record<string, () => Promise<void>> = {
  "the chunks table deleted": () => rm(path.join(workspace.db, "chunks.lance"), { recursive: true }),
  "a truncated chunks data file": async () => {
    const folder = path.join(workspace.db, "chunks.lance", "data");
    const files = await readdir(folder);
    const sizes = await Promise.all(files.map(async (file) => (await stat(path.join(folder, file))).size));
    await truncate(path.join(folder, files[sizes.indexOf(Math.max(...sizes))]!), 100);
  },
  "the documents table's _versions deleted": () =>
    rm(path.join(workspace.db, "documents.lance", "_versions"), { recursive: true }),
};

describe("a damaged index", () => {
  for (const [damage, inflict] of Object.entries(damages)) {
    it(`with ${damage}: doctor names the damage and the repair (exit 6), nothing else exits 1, --reset starts over`, async () => {
      await inflict();
      const doctor = await gemindex("doctor");
      expect(doctor.code).toBe(6);
      expect(doctor.stdout).toMatch(
        /problem: The (chunks|documents) table (is missing|cannot be read).*`gemindex doctor --repair`/,
      );
      for (const argv of [["doctor"], ["status"], ["query", "harbour", "--no-answer"], ["index", "docs"]]) {
        const run = await gemindex(...argv);
        expect({ argv, code: run.code, stderr: run.stderr }).not.toMatchObject({ code: 1 });
        expect(run.stderr).not.toMatch(/unexpected error/);
      }
      const reset = await gemindex("index", "--reset", "docs");
      expect(reset.code).toBe(0);
      expect(reset.stdout).toMatch(/12 new/);
      expect((await gemindex("doctor")).code).toBe(0);
    });
  }
});
