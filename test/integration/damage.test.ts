import { readdir, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { embeddingRequests, requestInputs } from "../support/embedding-requests.js";
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
    it(`with ${damage}: doctor names the damage and the repair (exit 6), nothing else exits 1, \
--reset starts over`, async () => {
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

const embeddedInputs = () => embeddingRequests(emulator).flatMap(requestInputs);

describe("repairing a damaged index", () => {
  it(`index notices the chunks of 'unchanged' documents are gone and indexes them again; \
doctor is then healthy`, async () => {
    await damages["the chunks table deleted"]!();
    const run = await gemindex("index", "docs");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0 new, 12 changed, 0 unchanged/);
    expect(run.stderr).toMatch(/chunks table was missing/);
    expect(embeddedInputs()).toHaveLength(12);
    expect((await gemindex("doctor")).code).toBe(0);
    const query = await gemindex("query", "subject", "s7", "--no-answer");
    expect(query.stdout).toMatch(/^\[1\] docs\/note-7\.md/m);
    // And the run after that is a no-op again.
    emulator.reset();
    expect((await gemindex("index", "docs")).stdout).toMatch(/0 new, 0 changed, 12 unchanged/);
    expect(embeddedInputs()).toHaveLength(0);
  });

  it("doctor --repair keeps the vectors a damaged table still holds and embeds only what was lost", async () => {
    // A second run adds a second fragment; then the first fragment's data file is cut short.
    for (let i = 12; i < 20; i++)
      await workspace.write(`docs/note-${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i}: tides.\n`);
    expect((await gemindex("index", "docs")).code).toBe(0);
    emulator.reset();
    const folder = path.join(workspace.db, "chunks.lance", "data");
    const files = await readdir(folder);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const times = await Promise.all(files.map(async (file) => (await stat(path.join(folder, file))).mtimeMs));
    await truncate(path.join(folder, files[times.indexOf(Math.min(...times))]!), 100);

    const repair = await gemindex("doctor", "--repair");
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/chunks table was rewritten from its readable rows \(8 kept, 12 lost\)/);
    expect(repair.stdout).toMatch(/12 documents whose chunks were lost are to be re-indexed/);
    expect(repair.stdout).toMatch(/Re-indexed: +Indexed .*0 new, 12 changed/);
    expect(repair.stdout).toMatch(/\(healthy\)/);
    // Only the 12 lost chunks were paid for again.
    expect(embeddedInputs()).toHaveLength(12);
    expect((await gemindex("query", "subject", "s3", "--no-answer")).stdout).toMatch(/^\[1\] docs\/note-3\.md/m);
  });

  it("doctor --repair rebuilds a lost manifest from the chunks without embedding anything", async () => {
    await damages["the documents table's _versions deleted"]!();
    const repair = await gemindex("doctor", "--repair");
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/12 manifest rows were rebuilt from the chunks/);
    const next = await gemindex("index", "docs");
    expect(next.stdout).toMatch(/0 new, 0 changed, 12 unchanged/);
    expect(embeddedInputs()).toHaveLength(0);
    expect((await gemindex("doctor")).code).toBe(0);
  });
});
