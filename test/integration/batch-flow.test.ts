import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GemIndex, openIndex } from "../../src/index.js";
import type { Emulator } from "../emulator/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { dumpIndex } from "../support/dump-index.js";
import { BATCH_CREATE_PATH, batchCreates, embeddingRequests, requestInputs } from "../support/embedding-requests.js";
import { runGemindex } from "../support/run-cli.js";
import { useEmulator } from "../support/use-emulator.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

let emulator: Emulator;
let workspace: Workspace;
let index: GemIndex;

useEmulator((started) => (emulator = started));
beforeEach(async () => {
  emulator.reset();
  emulator.options.batchDelayMs = 3_600_000; // jobs run until a test completes them
  emulator.options.overlongInput = "truncate";
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  index = await open(workspace.db);
});
afterEach(async () => {
  await index.close();
  await workspace.cleanup();
});

function open(uri: string, options: { taskTypes?: "auto" | "off" } = {}) {
  return openIndex({
    uri,
    cwd: workspace.corpus,
    apiKey: emulator.apiKey,
    baseURL: emulator.baseURL,
    retry: { baseDelayMs: 10 },
    ...options,
  });
}

const createdJobs = () => batchCreates(emulator, { status: 200 });
const uploads = () => emulator.requests({ method: "POST", path: /\/upload\/v1beta\/files$/ });
const syncEmbeddings = () => embeddingRequests(emulator);

/** The same corpus indexed synchronously, for comparison. */
async function referenceDump(options: { taskTypes?: "auto" | "off" } = {}) {
  const uri = path.join(workspace.root, "reference");
  const reference = await open(uri, options);
  expect((await reference.index(["."], { batch: "never" })).outcome).toBe("completed");
  await reference.close();
  return dumpIndex(uri);
}

describe("indexing through the Batch API", () => {
  it(`submits one job, keeps its documents out of the index until it finishes, \
then writes exactly what a synchronous run writes`, async () => {
    const report = await index.index(["."], { batch: "always" });
    expect(report.outcome).toBe("completed");
    const submitted = report.batch?.submitted;
    expect(submitted).toMatchObject({ documents: 4 });
    expect(submitted!.batchId).toMatch(/^batches\//);
    expect(createdJobs()).toHaveLength(1);
    expect(syncEmbeddings()).toHaveLength(0);
    expect((await index.status()).documents).toBe(0);
    // The documented pairing's task types travel in native request lines: a native job over the upload.
    expect(createdJobs()[0]!.path).toBe("/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent");
    const [job] = await index.batchJobs();
    expect(createdJobs()[0]!.body).toEqual({ batch: { inputConfig: { fileName: job!.fileName } } });

    const early = await index.collectBatches();
    expect(early.running).toEqual([submitted!.job]);
    expect((await index.status()).documents).toBe(0);

    emulator.completeBatch(submitted!.batchId);
    const collected = await index.collectBatches();
    expect(collected).toMatchObject({ collected: [submitted!.job], documents: 4, retried: 0 });
    expect((await index.batchJobs())[0]).toMatchObject({ state: "collected" });
    const hit = (await index.search("glacier ice carves valleys")).hits[0]!;
    expect(hit.citation).toBe("manual.pdf:p2");

    emulator.reset();
    const reference = await referenceDump();
    const batched = await dumpIndex(workspace.db);
    expect(batched.documents).toEqual(reference.documents);
    expect(batched.chunks).toEqual(reference.chunks);
  });

  it(`an index of plain text (task types off) goes through the compat Batch API and writes what a plain synchronous \
run writes`, async () => {
    await index.close();
    index = await open(workspace.db, { taskTypes: "off" });
    const { batchId } = (await index.index(["."], { batch: "always" })).batch!.submitted!;
    expect(createdJobs()).toHaveLength(1);
    expect(createdJobs()[0]!.path).toBe("/v1beta/openai/batches");
    expect(createdJobs()[0]!.body).toMatchObject({ endpoint: "/v1/embeddings", completion_window: "24h" });
    emulator.completeBatch(batchId);
    expect((await index.collectBatches()).documents).toBe(4);
    expect((await index.status()).embedding).toMatchObject({ document: { kind: "plain" }, query: { kind: "plain" } });
    emulator.reset();
    const reference = await referenceDump({ taskTypes: "off" });
    expect((await dumpIndex(workspace.db)).chunks).toEqual(reference.chunks);
  });

  it(`a later run neither re-submits nor re-embeds waiting documents, and collects the job once it \
has finished`, async () => {
    const first = await index.index(["."], { batch: "always" });
    const { batchId, job } = first.batch!.submitted!;
    const waiting = await index.index(["."]);
    expect(waiting.batch).toMatchObject({ waiting: 4, running: [job] });
    expect(createdJobs()).toHaveLength(1);
    expect(syncEmbeddings()).toHaveLength(0);

    emulator.completeBatch(batchId);
    const collecting = await index.index(["."]);
    expect(collecting.batch?.collected).toMatchObject({ jobs: [job], documents: 4 });
    expect(collecting.files).toMatchObject({ unchanged: 4, new: 0 });
    expect(syncEmbeddings()).toHaveLength(0);
    expect((await index.status()).documents).toBe(4);
  });

  it("drops a parked document that changes again and indexes its new content instead", async () => {
    const { batchId } = (await index.index(["."], { batch: "always" })).batch!.submitted!;
    await workspace.write("notes/garden.md", "# Garden notes\n\nThe greenhouse heater failed during the frost.\n");
    const run = await index.index(["."], { batch: "never" });
    expect(run.files.new).toBe(1);
    expect(run.batch?.waiting).toBe(3);
    emulator.completeBatch(batchId);
    await index.collectBatches();
    expect((await index.status()).documents).toBe(4);
    const hit = (await index.search("greenhouse heater frost")).hits[0]!;
    expect(hit.displayPath).toBe("notes/garden.md");
    expect(
      (await index.search("tomato seedlings", { mode: "lexical" })).hits.some(
        (candidate) => candidate.displayPath === "notes/garden.md",
      ),
    ).toBe(false);
  });

  it("embeds lines the job failed synchronously when collecting", async () => {
    // ~1,920 tokens by our count, but 2,640 by the emulator's (chars / 4): over its 2,048 limit.
    // (Words of 32 characters: a text of 40+ character runs would be set aside as encoded data.)
    await workspace.write("huge.txt", `${"abcdefgh".repeat(4)} `.repeat(320));
    emulator.options.overlongInput = "error";
    const { batchId } = (await index.index(["."], { batch: "always", chunking: { maxTokens: 2000, overlapTokens: 0 } }))
      .batch!.submitted!;
    emulator.completeBatch(batchId);
    emulator.options.overlongInput = "truncate";
    const collected = await index.collectBatches();
    expect(collected.retried).toBeGreaterThan(0);
    expect(syncEmbeddings().length).toBeGreaterThan(0);
    expect((await index.status()).documents).toBe(5);
  });

  it(`after a failed create, the next collection submits the uploaded file exactly once, adopting a job the service \
did create`, async () => {
    emulator.inject({ method: "POST", path: BATCH_CREATE_PATH, status: 500, times: 1 });
    const failed = await index.index(["."], { batch: "always" });
    expect(failed.outcome).toBe("stopped");
    const [job] = await index.batchJobs();
    expect(job).toMatchObject({ state: "uploaded" });
    expect(uploads().length).toBeGreaterThan(0);
    const uploadCount = uploads().length;

    // The service did create the job although the client never heard back.
    const reply = await fetch(`${emulator.origin}/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent`, {
      method: "POST",
      headers: { "x-goog-api-key": emulator.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ batch: { inputConfig: { fileName: job!.fileName } } }),
    });
    const created = { id: ((await reply.json()) as { name: string }).name };
    emulator.completeBatch(created.id);

    const collected = await index.collectBatches();
    expect(collected.documents).toBe(4);
    expect(createdJobs()).toHaveLength(1);
    expect(uploads().length).toBe(uploadCount);
    expect((await index.batchJobs())[0]).toMatchObject({ state: "collected", batchId: created.id });
  });

  it("deletes the uploaded input file once the job's results are written", async () => {
    const { batchId } = (await index.index(["."], { batch: "always" })).batch!.submitted!;
    const [job] = await index.batchJobs();
    const fileId = job!.fileName!.replace(/^files\//, "");
    emulator.completeBatch(batchId);
    expect((await index.collectBatches()).documents).toBe(4);
    expect(emulator.requests({ method: "DELETE", path: `/v1beta/files/${fileId}` })).toHaveLength(1);
    const gone = await fetch(`${emulator.origin}/v1beta/files/${fileId}`, {
      headers: { "x-goog-api-key": emulator.apiKey },
    });
    expect(gone.ok).toBe(false);
  });

  it(`a submit refused by an exhausted quota leaves no job behind (nor its upload); \
the next run indexes the documents`, async () => {
    const dailyQuota = {
      error: {
        code: 429,
        message: "You exceeded your current quota, please check your plan and billing details.",
        status: "RESOURCE_EXHAUSTED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [{ quotaId: "BatchEnqueuedTokensPerDayPerProjectPerModel", quotaValue: "0" }],
          },
        ],
      },
    };
    emulator.inject({ method: "POST", path: BATCH_CREATE_PATH, status: 429, body: dailyQuota });
    const refused = await index.index(["."], { batch: "always" });
    expect(refused.outcome).toBe("stopped");
    expect(refused.error?.code).toBe("QUOTA_EXHAUSTED");
    expect(await index.batchJobs()).toEqual([]);
    expect(emulator.requests({ method: "DELETE", path: /\/v1beta\/files\// })).toHaveLength(1);
    expect((await index.status()).documents).toBe(0);

    const next = await index.index(["."], { batch: "never" });
    expect(next.outcome).toBe("completed");
    expect(next.files.new).toBe(4);
  });

  it("cancelling a job forgets its documents, and the next run indexes them synchronously", async () => {
    const { job } = (await index.index(["."], { batch: "always" })).batch!.submitted!;
    const cancelled = await index.cancelBatch(job);
    expect(cancelled.state).toBe("cancelled");
    expect(emulator.requests({ method: "POST", path: /cancel$/ })).toHaveLength(1);
    const run = await index.index(["."], { batch: "never" });
    expect(run.files.new).toBe(4);
    expect((await index.status()).documents).toBe(4);
  });

  it("auto mode uses the Batch API only above the threshold", async () => {
    const small = await index.index(["."], { batchThreshold: 1000 });
    expect(small.batch?.submitted).toBeUndefined();
    expect(syncEmbeddings().length).toBeGreaterThan(0);
    await workspace.write(
      "more.md",
      Array.from({ length: 40 }, (_, i) => `## Part ${i}\n\nA paragraph about item ${i} and nothing else.`).join(
        "\n\n",
      ),
    );
    const large = await index.index(["."], { batchThreshold: 5, chunking: { maxTokens: 32, overlapTokens: 0 } });
    expect(large.batch?.submitted?.inputs).toBeGreaterThan(5);
  });

  it(`auto mode embeds the first documents at once, up to a tenth of the threshold, while it finds \
out whether the run is above it; the rest of a run above it goes to one job`, async () => {
    const parts = (name: string) =>
      Array.from({ length: 30 }, (_, i) => `## Part ${i}\n\nA paragraph of ${name} about item ${i} alone.`).join(
        "\n\n",
      );
    await workspace.write("big/a.md", "# A\n\nOne short note.\n");
    await workspace.write("big/b.md", parts("b"));
    await workspace.write("big/c.md", parts("c"));
    const report = await index.index(["big"], { batchThreshold: 40, chunking: { maxTokens: 32, overlapTokens: 0 } });
    // a.md (one chunk, within 4) went at once; b.md and c.md (60 chunks, over 40 in all) to the job.
    expect(syncEmbeddings().flatMap(requestInputs)).toEqual([expect.stringContaining("One short note.")]);
    expect(report.batch?.submitted?.documents).toBe(2);
    expect(report.files.new).toBe(1);
  });
});

describe("gemindex batch", () => {
  it("lists, shows and collects jobs from the command line", async () => {
    const env = { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
    const cli = (args: string[]) => runGemindex(["--db", workspace.db, ...args], { cwd: workspace.corpus, env });
    const indexed = await cli(["index", ".", "--batch", "always"]);
    expect(indexed.code).toBe(0);
    expect(indexed.stderr).toMatch(/Submitted batch job job-\S+ \(batches\//);
    const list = JSON.parse((await cli(["--json", "batch", "list"])).stdout);
    expect(list.jobs).toHaveLength(1);
    const { id, batchId } = list.jobs[0];
    const status = await cli(["batch", "status", id]);
    expect(status.stdout).toMatch(/Service: running/);
    emulator.completeBatch(batchId);
    const collect = await cli(["batch", "collect"]);
    expect(collect.code).toBe(0);
    expect(collect.stdout).toMatch(/Collected 1 job\(s\): 4 documents/);
  });
});
