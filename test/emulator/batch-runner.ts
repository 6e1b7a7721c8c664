/**
 * Runs a due batch and writes its results (https://ai.google.dev/gemini-api/docs/openai,
 * https://ai.google.dev/gemini-api/docs/batch-mode).
 *
 * Compat batches read OpenAI-format JSONL and write `files/batch-<id>` with lines
 * `{"response":{"status_code":200,"body":{…camelCase…}},"custom_id":…}`; a failing line becomes
 * `{"error":{code,message,status},"custom_id":…}` (the compat per-line error shape is UNCONFIRMED).
 * Native batches read `{"key","request"}` lines (or inline requests) and write
 * `{"response":{…},"key":…}` / `{"error":{…},"key":…}` lines (or inline responses).
 * Output lines come in a shuffled order unless `batchOutputOrder` is "input".
 */
import { createHash } from "node:crypto";
import type { BatchRecord } from "./batches.js";
import { completionJson, generateReply, toBatchBody } from "./chat/reply.js";
import { parseChatRequest } from "./chat/request.js";
import { compatEmbeddingData, embedForBatch, prepareCompatEmbedding } from "./embeddings.js";
import { GoogleApiError, invalidArgument } from "./errors.js";
import { isObject, type JsonObject } from "./fields.js";
import { prepareGenerateContent, renderGenerateContent } from "./native-generate.js";
import type { EmulatorState } from "./state.js";

interface LineResult {
  key: string;
  line: JsonObject;
  ok: boolean;
}

/** Runs `work`, turning a Google error into an error line. */
function attempt(key: string, keyName: "custom_id" | "key", work: () => JsonObject): LineResult {
  try {
    return { key, ok: true, line: { ...work(), [keyName]: key } };
  } catch (error) {
    if (!(error instanceof GoogleApiError)) throw error;
    return { key, ok: false, line: { ...error.toBody(), [keyName]: key } };
  }
}

function compatBody(endpoint: string, body: JsonObject, state: EmulatorState): unknown {
  if (endpoint === "/v1/embeddings") {
    const request = prepareCompatEmbedding(body, state.options);
    const data = compatEmbeddingData(request).map(({ object, embedding }) => ({ object, embedding }));
    return { data, model: `models/${request.modelName}` };
  }
  const job = parseChatRequest(body, state, true);
  return toBatchBody(completionJson(generateReply(job, state.options, state.clock), job, state.options));
}

function compatLine(value: unknown, batch: BatchRecord, state: EmulatorState, index: number): LineResult {
  const key = isObject(value) && typeof value.custom_id === "string" ? value.custom_id : `line-${index + 1}`;
  return attempt(key, "custom_id", () => {
    if (!isObject(value) || typeof value.custom_id !== "string")
      throw invalidArgument("Each line needs a string custom_id.");
    if (value.method !== undefined && value.method !== "POST")
      throw invalidArgument(`Unsupported method ${String(value.method)}; use POST.`);
    if (value.url !== batch.endpoint)
      throw invalidArgument(
        `The line's url ${JSON.stringify(value.url)} does not match the batch endpoint ${batch.endpoint}.`,
      );
    if (!isObject(value.body)) throw invalidArgument("Each line needs a JSON object body.");
    return { response: { status_code: 200, body: compatBody(batch.endpoint ?? "", value.body, state) } };
  });
}

function nativeResponse(request: unknown, batch: BatchRecord, state: EmulatorState): JsonObject {
  if (!isObject(request)) throw invalidArgument("Each line needs a request object.");
  const model = batch.model ?? "";
  return batch.kind === "embed"
    ? embedForBatch(request, model, state.options)
    : renderGenerateContent(prepareGenerateContent(request, model, state), state);
}

function nativeLine(value: unknown, batch: BatchRecord, state: EmulatorState, index: number): LineResult {
  const key = isObject(value) && typeof value.key === "string" ? value.key : `line-${index + 1}`;
  return attempt(key, "key", () => ({
    response: nativeResponse(isObject(value) ? value.request : undefined, batch, state),
  }));
}

function shuffleKey(key: string): string {
  return createHash("md5").update(key).digest("hex");
}

/** The JSONL input rows, or undefined after marking the batch failed. */
function readInput(batch: BatchRecord, state: EmulatorState): unknown[] | undefined {
  const input = state.files.find(batch.inputFileId ?? "");
  if (!input) {
    batch.status = "failed";
    batch.errors.push({
      code: "file_not_found",
      message: `The input file files/${batch.inputFileId ?? ""} no longer exists.`,
    });
    return undefined;
  }
  const rows: unknown[] = [];
  for (const [i, row] of input.bytes.toString("utf8").split("\n").entries()) {
    if (row.trim() === "") continue;
    try {
      rows.push(JSON.parse(row));
    } catch {
      batch.status = "failed";
      batch.errors.push({
        code: "invalid_json_line",
        message: `Line ${i + 1} of the input file is not valid JSON.`,
        line: i + 1,
      });
      return undefined;
    }
  }
  return rows;
}

/** Executes a due batch and records its outcome on the record. */
export function runBatch(batch: BatchRecord, state: EmulatorState): void {
  if (batch.inlineRequests) {
    const results = batch.inlineRequests.map((item, i) => {
      const metadata = isObject(item.metadata) ? item.metadata : undefined;
      const result = attempt(String(metadata?.key ?? i), "key", () => ({
        response: nativeResponse(item.request, batch, state),
      }));
      const { key: _key, ...line } = result.line;
      return { ...result, line: { ...line, ...(metadata ? { metadata } : {}) } };
    });
    batch.inlineResponses = results.map((result) => result.line);
    finish(batch, results);
    return;
  }
  const rows = readInput(batch, state);
  if (!rows) return;
  const results = rows.map((row, i) =>
    batch.kind === "compat" ? compatLine(row, batch, state, i) : nativeLine(row, batch, state, i),
  );
  if ((state.options.batchOutputOrder ?? "shuffled") === "shuffled") {
    results.sort((a, b) => shuffleKey(a.key).localeCompare(shuffleKey(b.key)));
  }
  const output = state.files.add({
    id: `batch-${batch.id}`,
    mimeType: "application/jsonl",
    bytes: Buffer.from(`${results.map((result) => JSON.stringify(result.line)).join("\n")}\n`),
    source: "GENERATED",
  });
  batch.outputFileId = `files/${output.id}`;
  finish(batch, results);
}

function finish(batch: BatchRecord, results: LineResult[]): void {
  batch.status = "completed";
  batch.counts = {
    total: results.length,
    completed: results.filter((result) => result.ok).length,
    failed: results.filter((result) => !result.ok).length,
  };
}
