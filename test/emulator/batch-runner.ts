/**
 * Runs a compat batch's JSONL input (OpenAI format) and writes the output file
 * `files/batch-<id>`: lines `{"response":{"status_code":200,"body":{…camelCase…}},"custom_id":…}`,
 * in a shuffled order (GEMINI.md §4.3). A line that fails gets
 * `{"error":{code,message,status},"custom_id":…}` (the compat per-line error shape is UNCONFIRMED).
 */
import { createHash } from "node:crypto";
import type { BatchRecord } from "./batches.js";
import { completionJson, generateReply, toBatchBody } from "./chat/reply.js";
import { parseChatRequest } from "./chat/request.js";
import { compatEmbeddingData, prepareCompatEmbedding } from "./embeddings.js";
import { GoogleApiError, invalidArgument } from "./errors.js";
import { isObject, type JsonObject } from "./fields.js";
import type { EmulatorState } from "./state.js";

interface LineResult {
  customId: string;
  line: JsonObject;
  ok: boolean;
}

function runBody(endpoint: string, body: JsonObject, state: EmulatorState): unknown {
  if (endpoint === "/v1/embeddings") {
    const request = prepareCompatEmbedding(body, state.options);
    const data = compatEmbeddingData(request).map(({ object, embedding }) => ({ object, embedding }));
    return { data, model: `models/${request.modelName}` };
  }
  const job = parseChatRequest(body, state, true);
  const reply = generateReply(job, state.options, state.clock);
  return toBatchBody(completionJson(reply, job, state.options));
}

function runLine(value: unknown, endpoint: string, state: EmulatorState, index: number): LineResult {
  const customId = isObject(value) && typeof value.custom_id === "string" ? value.custom_id : `line-${index + 1}`;
  try {
    if (!isObject(value) || typeof value.custom_id !== "string") throw invalidArgument("Each line needs a string custom_id.");
    if (value.method !== undefined && value.method !== "POST") throw invalidArgument(`Unsupported method ${String(value.method)}; use POST.`);
    if (value.url !== endpoint) throw invalidArgument(`The line's url ${JSON.stringify(value.url)} does not match the batch endpoint ${endpoint}.`);
    if (!isObject(value.body)) throw invalidArgument("Each line needs a JSON object body.");
    const body = runBody(endpoint, value.body, state);
    return { customId, ok: true, line: { response: { status_code: 200, body }, custom_id: customId } };
  } catch (error) {
    if (!(error instanceof GoogleApiError)) throw error;
    return { customId, ok: false, line: { ...error.toBody(), custom_id: customId } };
  }
}

function shuffleKey(customId: string): string {
  return createHash("md5").update(customId).digest("hex");
}

/** Executes a due batch and records its outcome on the record. */
export function runBatch(batch: BatchRecord, state: EmulatorState): void {
  const input = state.files.find(batch.inputFileId);
  if (!input) {
    batch.status = "failed";
    batch.errors.push({ code: "file_not_found", message: `The input file files/${batch.inputFileId} no longer exists.` });
    return;
  }
  const rows = input.bytes.toString("utf8").split("\n").map((row) => row.trim());
  const parsed: unknown[] = [];
  for (const [i, row] of rows.entries()) {
    if (row === "") continue;
    try {
      parsed.push(JSON.parse(row));
    } catch {
      batch.status = "failed";
      batch.errors.push({ code: "invalid_json_line", message: `Line ${i + 1} of the input file is not valid JSON.`, line: i + 1 });
      return;
    }
  }
  const results = parsed.map((value, i) => runLine(value, batch.endpoint, state, i));
  if ((state.options.batchOutputOrder ?? "shuffled") === "shuffled") {
    results.sort((a, b) => shuffleKey(a.customId).localeCompare(shuffleKey(b.customId)));
  }
  const output = state.files.add({
    id: `batch-${batch.id}`,
    mimeType: "application/jsonl",
    bytes: Buffer.from(results.map((result) => JSON.stringify(result.line)).join("\n") + "\n"),
    source: "GENERATED",
  });
  batch.status = "completed";
  batch.outputFileId = `files/${output.id}`;
  batch.counts = {
    total: results.length,
    completed: results.filter((result) => result.ok).length,
    failed: results.filter((result) => !result.ok).length,
  };
}
