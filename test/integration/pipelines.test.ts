import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadPipeline, type SchedulerEvent, startScheduler } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { dumpIndex } from "../support/dump-index.js";
import { EMBEDDING_PATH, embeddingRequests } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

const bin = path.resolve(import.meta.dirname, "../../dist/cli/bin.js");
let emulator: Emulator;
let workspace: Workspace;
let env: Record<string, string>;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options.latencyMs = 0;
  workspace = await makeWorkspace();
  for (let i = 0; i < 12; i++)
    await workspace.write(`docs/n${i}.md`, `# Note ${i}\n\nNote ${i} is about subject s${i}, in some detail.\n`);
  env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
  await writePipeline("notes", { schedule: { cron: "* * * * * *" } });
});
afterEach(async () => {
  await workspace.cleanup();
});

async function writePipeline(name: string, extra: Record<string, unknown> = {}, raw?: string): Promise<string> {
  const file = path.join(workspace.corpus, "pipelines", `${name}.json`);
  const body =
    raw ??
    JSON.stringify(
      { $schema: "./schema.json", name, sources: [{ root: "../docs" }], index: "../index", ...extra },
      null,
      2,
    );
  await workspace.write(`pipelines/${name}.json`, body);
  return file;
}

const cli = (args: string[]) => runGemindex(args, { cwd: workspace.corpus, env });

describe("pipeline files", () => {
  it("are validated against the schema, and each error names the file, the field and the fix", async () => {
    const cases: Array<[string, RegExp]> = [
      [
        '{"name":"x","sources":[{"root":"../docs"}],"index":"../i","colour":"blue"}',
        /unknown field "colour" — remove it/,
      ],
      ['{"name":"x","index":"../i"}', /missing "sources" — add it/],
      [
        '{"name":"x","sources":[{"root":"../docs"}],"index":"../i","batch":{"mode":"sometimes"}}',
        /batch\.mode: must be one of "auto", "always", "never"/,
      ],
      [
        '{"name":"x","sources":[{"root":"../docs"}],"index":"../i","schedule":{"cron":"every hour"}}',
        /schedule: .* use 5 fields/,
      ],
      ['{"name":"x", "sources": [', /not valid JSON/],
    ];
    for (const [body, expected] of cases) {
      const file = await writePipeline("broken", {}, body);
      const error = await loadPipeline("broken", { cwd: workspace.corpus }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toMatch(expected);
    }
    const run = await cli(["run", "broken"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/broken\.json: /);
  });

  it("the shipped example pipeline and schema load", async () => {
    const pipeline = await loadPipeline(path.resolve(import.meta.dirname, "../../pipelines/sample-docs.json"), {
      cwd: workspace.corpus,
    });
    expect(pipeline.sources[0]!.root).toBe(path.resolve(import.meta.dirname, "../../data/sample"));
    expect(pipeline.schedule?.cron).toBe("0 * * * *");
  });
});

describe("gemindex run", () => {
  it(`is quiet when all went well, records the run, and a day of hourly runs on an unchanged folder costs no \
embedding request after the first`, async () => {
    const first = await cli(["run", "notes"]);
    expect(first).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const paid = embeddingRequests(emulator).length;
    expect(paid).toBeGreaterThan(0);
    const requestsAfterFirst = emulator.log.length;
    for (let hour = 1; hour < 24; hour++) expect((await cli(["run", "notes"])).code).toBe(0);
    expect(embeddingRequests(emulator).length).toBe(paid);
    // Not only no embedding: the 23 later runs send no request to the service at all.
    expect(emulator.log.length).toBe(requestsAfterFirst);
    const history = JSON.parse((await cli(["--json", "runs", "notes", "-n", "30"])).stdout);
    expect(history.runs).toHaveLength(24);
    expect(history.runs[23]).toMatchObject({ pipeline: "notes", outcome: "completed", files: { new: 12 } });
    expect(history.runs.slice(0, 23).every((run: { requests: number }) => run.requests === 0)).toBe(true);
  });

  it(`names a linked image whose caption the model refused, even when all else went well: the Markdown is \
indexed, the warning names the image and the service's reason`, async () => {
    // The picture lives outside the indexed folder: only the caption of the link is at stake.
    await workspace.copyFixture("media/gauge.png", "assets/gauge.png");
    await workspace.write(
      "docs/survey.md",
      "# Survey\n\n## North jetty\n\n![Tide curve](../assets/gauge.png)\n\nHigh water 2.41 m.\n",
    );
    emulator.inject({
      path: /chat\/completions$/,
      status: 400,
      message:
        "Unable to process input image. Please retry or report in " +
        "https://developers.generativeai.google/guide/troubleshooting",
    });
    const run = await cli(["run", "notes"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^gemindex: note: \S*docs\/survey\.md: linked image gauge\.png left out: /);
    expect(run.stderr).toContain("400 INVALID_ARGUMENT: Unable to process input image.");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    const survey = (await dumpIndex(path.join(workspace.root, "corpus", "index"))).documents.find((document) =>
      String(document.path).endsWith("docs/survey.md"),
    );
    expect(survey).toMatchObject({ status: "indexed" });
  });

  it("keeps notes about files read in another form to itself unless asked (--verbose)", async () => {
    await workspace.copyFixture("encodings/shift-jis.txt", "docs/notes-ja.txt");
    const quiet = await cli(["run", "notes"]);
    expect(quiet).toMatchObject({ code: 0, stdout: "", stderr: "" });
    await workspace.copyFixture("media/gauge.gif", "docs/curve.gif");
    const verbose = await cli(["run", "notes", "--verbose"]);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/note: \S*docs\/curve\.gif: converted from GIF to PNG/);
    expect(verbose.stdout).toMatch(/^notes: Indexed .*: 1 new/);
  });

  it("speaks up when files fail, with exit 3", async () => {
    await workspace.write("docs/broken.pdf", "%PDF-1.7 not really");
    const run = await cli(["run", "notes"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/broken\.pdf/);
  });

  it("a second run of the same index exits 5 at once with a clear message", async () => {
    emulator.options.latencyMs = 400;
    const first = cli(["run", "notes"]);
    await until(() => emulator.log.length > 0);
    const second = await cli(["run", "notes"]);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/being written by process \d+/);
    expect((await first).code).toBe(0);
  });

  it("stops at limits.maxCostUsd with exit 7, keeping finished work", async () => {
    await writePipeline("cheap", { limits: { maxCostUsd: 0.000001 } });
    const run = await cli(["run", "cheap"]);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/cost limit/);
    expect(embeddingRequests(emulator)).toHaveLength(0);
  });
});

/** Resolves once `condition` holds (polled each millisecond). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("the scheduler", () => {
  it("runs a pipeline on its schedule, survives a failing run, and never overlaps itself", async () => {
    const events: SchedulerEvent[] = [];
    const ends = () => events.filter((event) => event.type === "run-end" || event.type === "run-error");
    // The first run stops on a run-level fault (not one input's); the next one succeeds.
    emulator.inject({
      path: EMBEDDING_PATH,
      status: 400,
      googleStatus: "FAILED_PRECONDITION",
      message: "User location is not supported for the API use.",
      times: 1,
    });
    const pipeline = await loadPipeline("notes", { cwd: workspace.corpus });
    const scheduler = startScheduler([pipeline], {
      env,
      cwd: workspace.corpus,
      onEvent: (event) => events.push(event),
    });
    expect(events[0]).toMatchObject({ type: "scheduled", pipeline: "notes" });
    expect((events[0] as { next: Date[] }).next).toHaveLength(3);
    await until(() => ends().length >= 2);
    await scheduler.stop();
    const [failed, succeeded] = ends() as Array<Extract<SchedulerEvent, { type: "run-end" }>>;
    expect(failed!.record.outcome).toBe("stopped");
    expect(failed!.record.error?.message).toMatch(/User location is not supported/);
    expect(succeeded!.record).toMatchObject({ outcome: "completed", files: { new: 12 } });
    // Never overlapping: every run ends before the next one starts.
    const sequence = events
      .filter((event) => event.type === "run-start" || event.type === "run-end" || event.type === "run-error")
      .map((event) => (event.type === "run-start" ? "start" : "end"));
    expect(sequence.join(" ")).toMatch(/^(start end ?)+$/);
  });

  it("on SIGTERM finishes the requests in flight, commits, exits 0, and the next run completes the index", async () => {
    for (let i = 12; i < 400; i++)
      await workspace.write(
        `docs/n${i}.md`,
        `# Note ${i}\n\nNote ${i} is about subject s${i}.\n\n## More\n\nAnd a second part on topic t${i}.\n`,
      );
    await writePipeline("notes", { schedule: { cron: "* * * * * *" }, chunking: { maxTokens: 32, overlapTokens: 0 } });
    emulator.options.latencyMs = 150;
    const child = spawn(process.execPath, [bin, "schedule", "notes"], {
      cwd: workspace.corpus,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (data) => (stdout += data));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await until(() => embeddingRequests(emulator).some((request) => request.status === 200));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/next at/);
    expect(stdout).toMatch(/stopping; finishing notes/);
    expect(stdout).toMatch(/notes: .* interrupted/);

    const partial = await dumpIndex(path.join(workspace.corpus, "index"));
    const ids = partial.chunks.map((chunk) => chunk.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const document of partial.documents)
      expect(partial.chunks.filter((chunk) => chunk.path === document.path)).toHaveLength(Number(document.chunks));
    expect(partial.documents.length).toBeGreaterThan(0);
    expect(partial.documents.length).toBeLessThan(400);

    emulator.options.latencyMs = 0;
    const next = await cli(["--json", "run", "notes"]);
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout).files.new).toBe(400 - partial.documents.length);
    const complete = await dumpIndex(path.join(workspace.corpus, "index"));
    expect(complete.documents).toHaveLength(400);
  });
});
