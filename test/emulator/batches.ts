/**
 * Batch jobs (https://ai.google.dev/gemini-api/docs/batch-mode). A batch is `in_progress` until `batchDelayMs` of
 * emulator time has
 * passed (or `completeBatch`), then it runs all its lines at once; one still pending 48 h after
 * creation becomes `expired`. State is computed lazily whenever a batch is read, so there are
 * no timers to clean up.
 */
import type { Clock } from "./clock.js";
import type { JsonObject } from "./fields.js";
import { newFileId } from "./files.js";
import type { EmulatorOptions } from "./types.js";

export type BatchStatus = "in_progress" | "completed" | "failed" | "cancelled" | "expired";

export interface BatchError {
  code: string;
  message: string;
  line?: number;
}

export interface BatchRecord {
  /** Id without `batches/` (36 characters, so `batch-<id>` output ids are 42). */
  id: string;
  /** "compat": OpenAI-format JSONL; "generate"/"embed": native batchGenerateContent / asyncBatchEmbedContent. */
  kind: "compat" | "generate" | "embed";
  /** Compat: `/v1/chat/completions` or `/v1/embeddings`. */
  endpoint?: string;
  /** Input file id without `files/` (absent for inline native requests). */
  inputFileId?: string;
  /** Native inline requests (`inputConfig.requests.requests`). */
  inlineRequests?: JsonObject[];
  /** Native inline results, once completed. */
  inlineResponses?: JsonObject[];
  /** Native: model id without `models/`. */
  model?: string;
  displayName?: string;
  completionWindow?: string;
  metadata?: JsonObject;
  createdAt: number;
  /** Emulator-clock ms at which the batch finishes on its own. */
  dueAt: number;
  status: BatchStatus;
  finishedAt?: number;
  /** `files/batch-<id>` once completed. */
  outputFileId?: string;
  counts: { total: number; completed: number; failed: number };
  errors: BatchError[];
}

export const BATCH_EXPIRY_MS = 48 * 60 * 60 * 1000;
const DEFAULT_BATCH_DELAY_MS = 50;

export class BatchStore {
  readonly #batches = new Map<string, BatchRecord>();

  /** @param run executes a due batch's lines and sets its final status, output and counts */
  constructor(
    private readonly clock: Clock,
    private readonly options: () => EmulatorOptions,
    private readonly run: (batch: BatchRecord) => void,
  ) {}

  create(
    input: Pick<
      BatchRecord,
      "kind" | "endpoint" | "inputFileId" | "inlineRequests" | "model" | "displayName" | "completionWindow" | "metadata"
    >,
  ): BatchRecord {
    const now = this.clock.now();
    const batch: BatchRecord = {
      ...input,
      id: newFileId(36),
      createdAt: now,
      dueAt: now + (this.options().batchDelayMs ?? DEFAULT_BATCH_DELAY_MS),
      status: "in_progress",
      counts: { total: 0, completed: 0, failed: 0 },
      errors: [],
    };
    this.#batches.set(batch.id, batch);
    return batch;
  }

  #refresh(batch: BatchRecord): BatchRecord {
    if (batch.status !== "in_progress") return batch;
    const now = this.clock.now();
    const expiresAt = batch.createdAt + BATCH_EXPIRY_MS;
    if (batch.dueAt > expiresAt && now >= expiresAt) {
      batch.status = "expired";
      batch.finishedAt = expiresAt;
    } else if (now >= batch.dueAt) {
      batch.finishedAt = now;
      this.run(batch);
    }
    return batch;
  }

  /** Accepts `abc`, `batches/abc`. */
  get(id: string): BatchRecord | undefined {
    const batch = this.#batches.get(id.replace(/^batches\//, ""));
    return batch && this.#refresh(batch);
  }

  /** Newest first. */
  list(): BatchRecord[] {
    return [...this.#batches.values()].map((batch) => this.#refresh(batch)).reverse();
  }

  complete(id: string): void {
    const batch = this.#require(id);
    if (batch.status !== "in_progress") return;
    batch.dueAt = this.clock.now();
    this.#refresh(batch);
  }

  fail(id: string, message = "The batch failed."): void {
    const batch = this.#require(id);
    if (batch.status !== "in_progress") return;
    batch.status = "failed";
    batch.finishedAt = this.clock.now();
    batch.errors.push({ code: "batch_failed", message });
  }

  /** Returns false when the batch already finished. */
  cancel(batch: BatchRecord): boolean {
    if (this.#refresh(batch).status !== "in_progress") return false;
    batch.status = "cancelled";
    batch.finishedAt = this.clock.now();
    return true;
  }

  delete(id: string): boolean {
    return this.#batches.delete(id.replace(/^batches\//, ""));
  }

  clear(): void {
    this.#batches.clear();
  }

  #require(id: string): BatchRecord {
    const batch = this.#batches.get(id.replace(/^batches\//, ""));
    if (!batch) throw new Error(`No batch ${id} in the emulator`);
    return batch;
  }
}
