import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { GemindexError } from "../../errors.js";
import type { BatchEmbedItem } from "../types.js";

/** The `body` of one embeddings request line: what the compat `/embeddings` endpoint takes for one input. */
export interface EmbeddingRequestBody {
  model: string;
  input: string;
  dimensions?: number;
}

/** One line (without its newline) of an OpenAI-format embeddings batch input file. */
export function embeddingRequestLine(customId: string, body: EmbeddingRequestBody): string {
  return JSON.stringify({ custom_id: customId, method: "POST", url: "/v1/embeddings", body });
}

function compatLine(
  item: BatchEmbedItem,
  options: WriteBatchInputOptions,
  toInput: (item: BatchEmbedItem) => string,
): string {
  const body: EmbeddingRequestBody = { model: options.model, input: toInput(item) };
  if (options.dimensions !== undefined) body.dimensions = options.dimensions;
  return embeddingRequestLine(item.customId, body);
}

/** One native embeddings request line; the title goes with RETRIEVAL_DOCUMENT only, where it applies. */
function nativeRequestLine(item: BatchEmbedItem, taskType: string, options: WriteBatchInputOptions): string {
  const title = taskType === "RETRIEVAL_DOCUMENT" ? item.title?.trim() : undefined;
  const request = {
    model: `models/${options.model}`,
    content: { parts: [{ text: item.text }] },
    taskType,
    ...(title ? { title } : {}),
    ...(options.dimensions === undefined ? {} : { outputDimensionality: options.dimensions }),
  };
  return JSON.stringify({ key: item.customId, request });
}

export interface WriteBatchInputOptions {
  model: string;
  /** Sent as `dimensions` in every body; left out when undefined. */
  dimensions?: number;
  /** The text sent for an item, e.g. with the model's document prefix applied. @default the text as is */
  toInput?: (item: BatchEmbedItem) => string;
  /**
   * Writes Gemini's native request lines instead of OpenAI-format ones:
   * `{"key","request":{"model","content","taskType","title","outputDimensionality"}}`, with this task type.
   */
  nativeTaskType?: string;
  signal?: AbortSignal;
}

/** What was written. */
export interface WriteBatchInputResult {
  count: number;
  bytes: number;
}

/**
 * Streams items into a new JSONL file at `path` (which must not exist), one request line per
 * item, honouring the write stream's back-pressure so memory stays flat for any number of items.
 * Custom ids must be non-empty and unique: results come back by id, in any order. On any error
 * the partial file is left for the caller to remove (it owns the path).
 */
export async function writeBatchInput(
  items: AsyncIterable<BatchEmbedItem> | Iterable<BatchEmbedItem>,
  path: string,
  options: WriteBatchInputOptions,
): Promise<WriteBatchInputResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const toInput = options.toInput ?? ((item: BatchEmbedItem) => item.text);
  const seen = new Set<string>();
  const output = createWriteStream(path, { flags: "wx", encoding: "utf8" });
  let count = 0;
  let bytes = 0;
  try {
    await once(output, "open", { signal });
    for await (const item of items) {
      signal?.throwIfAborted();
      if (typeof item.customId !== "string" || item.customId === "") {
        throw new GemindexError(
          `Batch item ${count + 1} has no customId; every item needs a unique one.`,
          "BATCH_INPUT",
        );
      }
      if (seen.has(item.customId)) {
        throw new GemindexError(
          `Batch item customId ${JSON.stringify(item.customId)} appears twice; results are matched by id.`,
          "BATCH_INPUT",
        );
      }
      if (typeof item.text !== "string") {
        throw new GemindexError(`Batch item ${JSON.stringify(item.customId)} has no text.`, "BATCH_INPUT");
      }
      seen.add(item.customId);
      const request = options.nativeTaskType
        ? nativeRequestLine(item, options.nativeTaskType, options)
        : compatLine(item, options, toInput);
      const line = `${request}\n`;
      count += 1;
      bytes += Buffer.byteLength(line, "utf8");
      if (!output.write(line)) await once(output, "drain", { signal });
    }
    output.end();
    await finished(output);
    return { count, bytes };
  } catch (error) {
    // Writes still in flight fail with ERR_STREAM_DESTROYED; the error that stopped us is the one to report.
    output.on("error", () => undefined);
    output.destroy();
    if (!output.closed) await new Promise<void>((resolve) => output.once("close", () => resolve()));
    throw error;
  }
}
