import { randomBytes } from "node:crypto";
import { embedChunks } from "../embedding/embed-chunks.js";
import { collapseLayout } from "../embedding/layout-padding.js";
import { GemindexError, ProviderError, QuotaExhaustedError } from "../errors.js";
import type { BatchEmbedder, BatchJobInfo, Embedder } from "../providers/types.js";
import type { BatchChunk, BatchDocument, BatchTables } from "../store/batch-tables.js";
import { metaKeys, metaPrefixes } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";
import type { StoredChunk } from "../store/types.js";
import type { PendingDocument } from "./pending-document.js";
import type { FileFailure } from "./types.js";

/** Where a batch job is in its life; persisted before each remote step so a crash never pays twice. */
export type BatchJobState = "preparing" | "uploaded" | "submitted" | "collected" | "failed" | "cancelled" | "expired";

/** A batch job as gemindex records it in the index. */
export interface BatchJobRecord {
  /** Our id (`job-…`); the service's id is `batchId`. */
  id: string;
  state: BatchJobState;
  createdAt: string;
  updatedAt: string;
  model: string;
  dimensions: number;
  documents: number;
  /** Chunks the job embeds. */
  inputs: number;
  /** The uploaded input file, once uploaded. */
  fileName?: string;
  /** The service's job id, once submitted. */
  batchId?: string;
  /** The service's last reported state. */
  remoteState?: BatchJobInfo["state"];
  error?: string;
  /** Inputs the job could not embed, embedded synchronously at collection. */
  retriedInputs?: number;
}

/** Batch API jobs recorded in the index, oldest first. */
export async function listBatchJobs(store: Store): Promise<BatchJobRecord[]> {
  const values = await store.readValues<BatchJobRecord>(metaPrefixes.batchJob);
  return values.map((entry) => entry.value).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** A recorded job by our id or the service's. */
export async function findBatchJob(store: Store, id: string): Promise<BatchJobRecord | undefined> {
  return (await listBatchJobs(store)).find((candidate) => candidate.id === id || candidate.batchId === id);
}

async function saveJob(store: Store, job: BatchJobRecord, changes: Partial<BatchJobRecord>): Promise<BatchJobRecord> {
  Object.assign(job, changes, { updatedAt: new Date().toISOString() });
  await store.writeValue(metaKeys.batchJob(job.id), job);
  return job;
}

/** No job of that id is recorded in the index. */
export function unknownBatchJobError(id: string): GemindexError {
  return new GemindexError(`No batch job ${id} in this index; batchJobs() lists them.`, "BATCH_UNKNOWN", {
    data: { id },
  });
}

/** Jobs whose documents are parked and still expected to come back. */
export function isActive(job: BatchJobRecord): boolean {
  return job.state === "preparing" || job.state === "uploaded" || job.state === "submitted";
}

/** Parks documents for one new job while a run prepares them, then uploads and submits it. */
export class BatchJobBuilder {
  readonly #store: Store;
  readonly #tables: BatchTables;
  readonly job: BatchJobRecord;
  #parked: Array<{ document: BatchDocument; chunks: BatchChunk[] }> = [];
  #parkedChunks = 0;
  #next = 0;

  private constructor(store: Store, tables: BatchTables, job: BatchJobRecord) {
    this.#store = store;
    this.#tables = tables;
    this.job = job;
  }

  /** Records a new job in state "preparing" (before anything is parked or uploaded). */
  static async start(store: Store, embedder: BatchEmbedder): Promise<BatchJobBuilder> {
    const now = new Date().toISOString();
    const id = `job-${now.slice(0, 10).replaceAll("-", "")}-${randomBytes(4).toString("hex")}`;
    const job: BatchJobRecord = {
      id,
      state: "preparing",
      createdAt: now,
      updatedAt: now,
      model: embedder.config.model,
      dimensions: embedder.config.dimensions,
      documents: 0,
      inputs: 0,
    };
    await saveJob(store, job, {});
    return new BatchJobBuilder(store, await store.batchTables(), job);
  }

  /** Parks a document: its reused vectors stay, its other chunks get custom ids for the job. */
  async park(document: PendingDocument): Promise<void> {
    const chunks: BatchChunk[] = document.chunks.map((chunk) =>
      chunk.vector ? { ...chunk } : { ...chunk, customId: `${this.job.id}:${this.#next++}`, title: document.title },
    );
    this.#parked.push({ document: { record: document.record, change: document.change }, chunks });
    this.job.documents++;
    this.job.inputs += document.missing;
    this.#parkedChunks += chunks.length;
    if (this.#parkedChunks >= 2000) await this.flush();
  }

  async flush(): Promise<void> {
    const parked = this.#parked;
    this.#parked = [];
    this.#parkedChunks = 0;
    await this.#tables.add(this.job.id, parked);
  }

  /** Uploads the job's inputs and creates the job; the record is saved after each step. */
  async submit(batch: BatchEmbedder, signal?: AbortSignal): Promise<BatchJobRecord> {
    await this.flush();
    await saveJob(this.#store, this.job, {});
    return uploadAndSubmit(this.#store, this.#tables, batch, this.job, signal);
  }
}

async function uploadAndSubmit(
  store: Store,
  tables: BatchTables,
  batch: BatchEmbedder,
  job: BatchJobRecord,
  signal?: AbortSignal,
): Promise<BatchJobRecord> {
  if (job.state === "preparing") {
    const uploaded = await batch.upload(collapsedInputs(tables.inputs(job.id)), {
      displayName: `gemindex ${job.id}`,
      signal,
    });
    await saveJob(store, job, { state: "uploaded", fileName: uploaded.fileName });
  }
  if (job.state === "uploaded") {
    // A crash between creating the job and saving its id would otherwise submit (and pay) twice.
    const existing = await batch.list({ signal }).then(
      (jobs) => jobs.find((remote) => remote.inputFile === job.fileName),
      () => undefined,
    );
    let remote: BatchJobInfo;
    try {
      remote = existing ?? (await batch.submit(job.fileName!, { signal }));
    } catch (error) {
      // Refused outright (an exhausted quota, a bad request): no job exists at the service, so none
      // is kept here either; the parked documents are indexed again by the next run.
      if (refusedBeforeCreation(error)) await dropUnsubmitted(store, tables, batch, job);
      throw error;
    }
    await saveJob(store, job, { state: "submitted", batchId: remote.id, remoteState: remote.state });
  }
  return job;
}

/** The job's inputs as sent: layout padding collapsed, as for synchronous requests (the chunks keep their text). */
async function* collapsedInputs<T extends { text: string }>(inputs: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const input of inputs) yield { ...input, text: collapseLayout(input.text) || input.text };
}

/** A create the service refused without creating anything: a quota answer or another 4xx (not a timeout). */
function refusedBeforeCreation(error: unknown): boolean {
  if (error instanceof QuotaExhaustedError) return true;
  if (!(error instanceof ProviderError) || error.status === undefined) return false;
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 409;
}

/** Forgets a job that was uploaded but never created: its record, its parked rows and its input file. */
async function dropUnsubmitted(store: Store, tables: BatchTables, batch: BatchEmbedder, job: BatchJobRecord) {
  await deleteInputFile(batch, job);
  await tables.remove(job.id);
  await store.deleteValue(metaKeys.batchJob(job.id));
}

/**
 * The uploaded input is no longer needed; it would expire after 48 h, but it counts against the project's storage until
 * then.
 */
async function deleteInputFile(batch: BatchEmbedder, job: BatchJobRecord, signal?: AbortSignal): Promise<void> {
  if (!job.fileName) return;
  try {
    await batch.deleteFile(job.fileName, { signal });
  } catch {
    // Best effort: the service deletes it after 48 h anyway, and the job's outcome does not depend on it.
  }
}

/** What collecting did. */
export interface CollectReport {
  /** Jobs whose results were written. */
  collected: string[];
  /** Jobs still running at the service. */
  running: string[];
  /** Jobs that failed, expired or were cancelled: their documents are indexed again by the next run. */
  dropped: string[];
  documents: number;
  /** Chunks written with vectors from the jobs. */
  chunks: number;
  /** Inputs a job could not embed, embedded synchronously instead. */
  retried: number;
  /** Documents the service refused an input of (also synchronously): recorded as failed. */
  failures: FileFailure[];
}

export interface CollectOptions {
  store: Store;
  batch: BatchEmbedder;
  /** Embeds the inputs a job failed on. */
  embedder: Embedder;
  signal?: AbortSignal;
  /** Only this job (our id or the service's). */
  only?: string;
  /** Told each time documents are written. */
  onDocuments?: (count: number) => void;
}

/**
 * Moves every finished job's documents into the index: downloads the results, embeds failed lines
 * synchronously, then commits documents in groups (chunks first, manifest last) and forgets the
 * parked rows. A job interrupted before submission is submitted now (once). Safe to run again
 * after a crash: results are downloaded afresh and committed documents are not parked any more.
 */
export async function collectBatchJobs(options: CollectOptions): Promise<CollectReport> {
  const { store, batch, signal } = options;
  const report: CollectReport = {
    collected: [],
    running: [],
    dropped: [],
    documents: 0,
    chunks: 0,
    retried: 0,
    failures: [],
  };
  const jobs = (await listBatchJobs(store)).filter(
    (job) => isActive(job) && (!options.only || job.id === options.only || job.batchId === options.only),
  );
  if (jobs.length === 0) return report;
  const tables = await store.batchTables();
  for (const job of jobs) {
    if (job.state === "preparing" && job.fileName === undefined && !(await parkedCompletely(tables, job))) {
      // Killed while parking: nothing was uploaded or paid; the documents are simply indexed again.
      await tables.remove(job.id);
      await saveJob(store, job, {
        state: "failed",
        error: "interrupted before upload; its documents are indexed again",
      });
      report.dropped.push(job.id);
      continue;
    }
    if (job.state !== "submitted") await uploadAndSubmit(store, tables, batch, job, signal);
    const remote = await batch.get(job.batchId!, { signal });
    await saveJob(store, job, { remoteState: remote.state });
    if (remote.state === "pending" || remote.state === "running") {
      report.running.push(job.id);
      continue;
    }
    if (remote.state !== "succeeded") {
      await tables.remove(job.id);
      await saveJob(store, job, {
        state: remote.state === "cancelled" ? "cancelled" : remote.state === "expired" ? "expired" : "failed",
        error: remote.error,
      });
      await deleteInputFile(batch, job, signal);
      report.dropped.push(job.id);
      continue;
    }
    await writeResults(options, tables, job, remote, report);
    report.collected.push(job.id);
  }
  return report;
}

/** A job in "preparing" whose parking finished (its document count matches) can still be uploaded. */
async function parkedCompletely(tables: BatchTables, job: BatchJobRecord): Promise<boolean> {
  const counts = await tables.count(job.id);
  return (
    job.documents > 0 &&
    counts.documents === job.documents &&
    counts.inputs === job.inputs &&
    job.updatedAt !== job.createdAt
  );
}

async function writeResults(
  options: CollectOptions,
  tables: BatchTables,
  job: BatchJobRecord,
  remote: BatchJobInfo,
  report: CollectReport,
): Promise<void> {
  const { store, batch, embedder, signal } = options;
  await tables.clearResults(job.id);
  let group: Array<{ customId: string; vector?: Float32Array; error?: string }> = [];
  const returned = new Set<string>();
  for await (const result of batch.results(remote, { signal })) {
    if (result.vector) returned.add(result.customId);
    group.push(result);
    if (group.length >= 1000) {
      await tables.addResults(job.id, group);
      group = [];
    }
  }
  await tables.addResults(job.id, group);

  // Lines the job failed (or never answered) are embedded synchronously; an input the service
  // refuses there too fails its document alone.
  async function* failedInputs() {
    for await (const input of tables.inputs(job.id)) {
      if (!returned.has(input.customId))
        yield { text: input.text, tokens: input.tokens, title: input.title, tag: input.customId };
    }
  }
  let retried = 0;
  const refused = new Map<string, string>();
  for await (const done of embedChunks(failedInputs(), embedder, { signal })) {
    retried += done.length;
    for (const item of done) if (item.failure) refused.set(item.tag, `embedding refused: ${item.failure.reason}`);
    await tables.addResults(
      job.id,
      done.map((item) => ({ customId: item.tag, vector: item.vector, error: item.failure?.reason })),
    );
  }
  report.retried += retried;

  let documents: BatchDocument[] = [];
  const commit = async () => {
    if (documents.length === 0) return;
    const paths = documents.map((document) => document.record.path);
    const chunks = await tables.chunksOf(job.id, paths);
    const vectors = await tables.vectors(
      job.id,
      chunks.flatMap((chunk) => (chunk.customId ? [chunk.customId] : [])),
    );
    const byPath = new Map<string, StoredChunk[]>();
    const failedPaths = new Map<string, string>();
    for (const { customId, title: _title, ...chunk } of chunks) {
      const vector = chunk.vector ?? (customId ? vectors.get(customId) : undefined);
      const reason = customId ? refused.get(customId) : undefined;
      if (!vector && reason !== undefined) {
        if (!failedPaths.has(chunk.path)) failedPaths.set(chunk.path, reason);
        continue;
      }
      if (!vector)
        throw new GemindexError(
          `Batch job ${job.id}: no vector for chunk ${chunk.id} after collection.`,
          "BATCH_INCOMPLETE",
        );
      const list = byPath.get(chunk.path) ?? [];
      list.push({ ...chunk, vector });
      byPath.set(chunk.path, list);
    }
    await store.commitDocuments(
      documents.map((document) => {
        const reason = failedPaths.get(document.record.path);
        if (reason === undefined) return { record: document.record, chunks: byPath.get(document.record.path) ?? [] };
        report.failures.push({ path: document.record.path, reason });
        return { record: { ...document.record, status: "failed" as const, error: reason, chunks: 0 }, chunks: [] };
      }),
    );
    await tables.remove(job.id, paths);
    report.documents += documents.length - failedPaths.size;
    report.chunks += chunks.length;
    options.onDocuments?.(documents.length);
    documents = [];
  };
  for await (const document of tables.documents(job.id)) {
    documents.push(document);
    if (documents.length >= 200) await commit();
  }
  await commit();
  await tables.remove(job.id);
  await saveJob(store, job, { state: "collected", retriedInputs: retried });
  await deleteInputFile(batch, job, signal);
}

/** Cancels a job at the service and forgets its parked documents (the next run indexes them again). */
export async function cancelBatchJob(
  store: Store,
  batch: BatchEmbedder,
  id: string,
  signal?: AbortSignal,
): Promise<BatchJobRecord> {
  const job = await findBatchJob(store, id);
  if (!job) throw unknownBatchJobError(id);
  if (!isActive(job)) return job;
  if (job.batchId) {
    const remote = await batch.cancel(job.batchId, { signal });
    job.remoteState = remote.state;
  }
  await (await store.batchTables()).remove(job.id);
  await deleteInputFile(batch, job, signal);
  return saveJob(store, job, { state: "cancelled" });
}
