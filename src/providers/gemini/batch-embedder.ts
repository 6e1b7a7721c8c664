import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, GemindexError, ProviderError } from "../../errors.js";
import type {
  BatchCallOptions,
  BatchEmbedder,
  BatchEmbedItem,
  BatchJobInfo,
  BatchListOptions,
  BatchResult,
  BatchResultsOptions,
  BatchUploadOptions,
  BatchUploadResult,
  EmbeddingConfig,
} from "../types.js";
import { cancelBatch, createBatch, getBatch, listBatches } from "./batches.js";
import type { GeminiClient } from "./client.js";
import { deleteFile, downloadFile, uploadFile } from "./files.js";
import { applyForm } from "./models.js";
import { cancelNativeBatch, createNativeEmbedBatch, getNativeBatch, listNativeBatches } from "./native-batches.js";
import { parseBatchOutputLine } from "./parse-batch-output.js";
import { writeBatchInput } from "./write-batch-input.js";

export interface GeminiBatchEmbedderOptions {
  /** Bytes per upload request (a multiple of 8 MiB on Gemini; smaller values are for tests). @default 8 MiB */
  uploadChunkSize?: number;
  /** Where the JSONL is written before upload (removed afterwards). @default os.tmpdir() */
  tempDirectory?: string;
  /**
   * Send `dimensions` in every request body. Gemini's compat embeddings accept the field; whether
   * they honour it is UNCONFIRMED, so vectors are cut and re-normalised locally either way.
   * Turn it off if the service starts refusing the field. @default true
   */
  sendDimensions?: boolean;
}

/** Gemini's input-file limit for batch jobs (https://ai.google.dev/gemini-api/docs/batch-mode). */
const maxInputFileBytes = 2 * 1024 ** 3;

/**
 * Gemini's Batch API for embeddings, under the same pairing as the synchronous embedder of
 * `config`, so both give the same vectors. The JSONL goes up with the native resumable Files API
 * and the output is streamed from the native download endpoint. With task types (the default for
 * gemini-embedding-001) the lines are native requests
 * `{"key","request":{"model","content","taskType":"RETRIEVAL_DOCUMENT","title","outputDimensionality"}}`
 * and the job is the native `asyncBatchEmbedContent`; otherwise each line is
 * `{"custom_id","method":"POST","url":"/v1/embeddings","body":{"model","input","dimensions"}}`
 * with the model's document form applied to `input` (e.g. gemini-embedding-2's `title: … | text: …`)
 * and the job is created, polled and cancelled through the compat layer (`openai` SDK).
 * `encoding_format` is not sent: batch output is JSON, floats are the default, and base64 is
 * unconfirmed there.
 *
 * Needs Gemini's native endpoints (`client.hasNative`).
 *
 * @example
 * const batch = createGeminiBatchEmbedder(client, embedder.config);
 * const { fileName } = await batch.upload(chunks);          // persist fileName
 * let job = await batch.submit(fileName);                   // persist job.id
 * while (job.state === "pending" || job.state === "running") job = await batch.get(job.id); // with a pause
 * for await (const result of batch.results(job)) save(result.customId, result.vector ?? result.error);
 */
export function createGeminiBatchEmbedder(
  client: GeminiClient,
  config: EmbeddingConfig,
  options: GeminiBatchEmbedderOptions = {},
): BatchEmbedder {
  if (!client.hasNative) {
    throw new ConfigError(
      `Batch embedding needs Gemini's native Files API, which ${client.endpoints.compat} does not offer.`,
    );
  }
  const sendDimensions = options.sendDimensions ?? true;
  // Task types travel only in native request lines, so such jobs use the native Batch API end to end.
  const native = config.document.kind === "task-type";
  const context = `batch embedding (${config.model})`;

  async function upload(
    items: AsyncIterable<BatchEmbedItem> | Iterable<BatchEmbedItem>,
    callOptions: BatchUploadOptions = {},
  ): Promise<BatchUploadResult> {
    const { signal } = callOptions;
    const directory = await mkdtemp(path.join(options.tempDirectory ?? tmpdir(), "gemindex-batch-"));
    try {
      const file = path.join(directory, "input.jsonl");
      const written = await writeBatchInput(items, file, {
        model: config.model,
        ...(sendDimensions || native ? { dimensions: config.dimensions } : {}),
        toInput: (item) => applyForm(config.document, item.text, item.title),
        ...(native ? { nativeTaskType: config.document.value } : {}),
        signal,
      });
      if (written.count === 0)
        throw new GemindexError("Nothing to embed: a batch job needs at least one item.", "BATCH_INPUT");
      if (written.bytes > maxInputFileBytes) {
        throw new GemindexError(
          `The batch input is ${written.bytes} bytes; Gemini takes at most 2 GB per job. Split it into several jobs.`,
          "BATCH_INPUT",
        );
      }
      const stored = await uploadFile(
        client,
        { path: file },
        {
          displayName: callOptions.displayName ?? `gemindex-embeddings-${new Date().toISOString()}`,
          mimeType: "application/jsonl",
          ...(options.uploadChunkSize === undefined ? {} : { chunkSize: options.uploadChunkSize }),
          ...(signal ? { signal } : {}),
        },
      );
      return { fileName: stored.name, count: written.count, bytes: written.bytes };
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  async function* results(
    job: BatchJobInfo,
    callOptions: BatchResultsOptions = {},
  ): AsyncGenerator<BatchResult, void, undefined> {
    if (job.state !== "succeeded") {
      throw new GemindexError(`Batch ${job.id} is ${job.state}; only a succeeded job has results.`, "BATCH_STATE");
    }
    if (!job.outputFile)
      throw new ProviderError(`Batch ${job.id} succeeded but names no output file.`, { operation: "batch results" });
    let lineNumber = 0;
    for await (const text of downloadFile(client, job.outputFile, callOptions.signal)) {
      lineNumber += 1;
      if (text.trim() === "") continue;
      const line = parseBatchOutputLine(text, { dimensions: config.dimensions, context });
      if (line.type === "unreadable") callOptions.onUnreadable?.({ line: lineNumber, reason: line.reason });
      else if (line.type === "vector") yield { customId: line.customId, vector: line.vector };
      else yield { customId: line.customId, error: line.reason };
    }
  }

  return {
    config,
    upload,
    submit: (fileName: string, callOptions: BatchCallOptions = {}) =>
      native
        ? createNativeEmbedBatch(client, config.model, fileName, { signal: callOptions.signal })
        : createBatch(client, fileName, { endpoint: "/v1/embeddings", signal: callOptions.signal }),
    get: (batchId: string, callOptions: BatchCallOptions = {}) =>
      native ? getNativeBatch(client, batchId, callOptions.signal) : getBatch(client, batchId, callOptions.signal),
    cancel: (batchId: string, callOptions: BatchCallOptions = {}) =>
      native
        ? cancelNativeBatch(client, batchId, callOptions.signal)
        : cancelBatch(client, batchId, callOptions.signal),
    list: (callOptions: BatchListOptions = {}) =>
      native ? listNativeBatches(client, callOptions) : listBatches(client, callOptions),
    results,
    deleteFile: (fileName: string, callOptions: BatchCallOptions = {}) =>
      deleteFile(client, fileName, callOptions.signal),
  };
}
