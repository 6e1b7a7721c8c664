import type { Emulator, LoggedRequest } from "../emulator/index.js";

/**
 * Every synchronous embedding endpoint: compat `/embeddings` (plain text, Embedding 2 prefixes),
 * native `:batchEmbedContents` (documents with task types, media) and native `:embedContent`
 * (a query with a task type). Not the Batch API. Use it for `emulator.inject({ path })` too, so a
 * fault reaches embedding requests whichever pairing the index uses.
 */
export const EMBEDDING_PATH = /(\/openai\/embeddings|:batchEmbedContents|:embedContent)$/;

/** Query embeddings with a task type go through native `:embedContent` (nothing else uses it). */
const QUERY_PATH = /:embedContent$/;

export interface EmbeddingRequestFilter {
  /** Only requests answered with this status (200: the ones that embedded something). */
  status?: number;
  /**
   * "query": native `:embedContent` calls (queries under a task-type pairing); "documents": every
   * other embedding call. Under a plain pairing a query is a one-input compat request, which only
   * the test can tell from a one-chunk document.
   */
  kind?: "query" | "documents";
}

/** The embedding requests the emulator received, in arrival order (see {@link EMBEDDING_PATH}). */
export function embeddingRequests(emulator: Emulator, filter: EmbeddingRequestFilter = {}): LoggedRequest[] {
  return emulator
    .requests({ method: "POST", path: EMBEDDING_PATH })
    .filter((request) => filter.status === undefined || request.status === filter.status)
    .filter((request) => filter.kind === undefined || QUERY_PATH.test(request.path) === (filter.kind === "query"));
}

interface NativeContent {
  parts?: Array<{ text?: string }>;
}

/** The text of one native content (its text parts joined; media parts carry none). */
function contentText(content: NativeContent | undefined): string {
  return (content?.parts ?? [])
    .map((part) => part.text)
    .filter((text): text is string => typeof text === "string")
    .join("");
}

/**
 * The inputs of one embedding request, in order: compat `input` (a string or a list), the text of
 * each native request of a `batchEmbedContents`, or the one content of an `embedContent`.
 */
export function requestInputs(request: LoggedRequest): string[] {
  const body = request.body as {
    input?: string | string[];
    requests?: Array<{ content?: NativeContent }>;
    content?: NativeContent;
  };
  if (body.input !== undefined) return typeof body.input === "string" ? [body.input] : body.input;
  if (body.requests) return body.requests.map((item) => contentText(item.content));
  return body.content ? [contentText(body.content)] : [];
}

/** The task type of each input of a request (undefined: none sent, as on compat). */
export function requestTaskTypes(request: LoggedRequest): Array<string | undefined> {
  const body = request.body as {
    requests?: Array<{ taskType?: string; task_type?: string }>;
    taskType?: string;
    task_type?: string;
    input?: unknown;
  };
  if (body.requests) return body.requests.map((item) => item.taskType ?? item.task_type);
  if (body.input !== undefined) return requestInputs(request).map(() => undefined);
  return [body.taskType ?? body.task_type];
}

/** Every input of the embedding requests that match `filter`, in order. */
export function embeddedInputs(emulator: Emulator, filter: EmbeddingRequestFilter = {}): string[] {
  return embeddingRequests(emulator, filter).flatMap(requestInputs);
}

/**
 * Batch API embedding job creations: native `models/{m}:asyncBatchEmbedContent` (task-type
 * pairings, the default for gemini-embedding-001) and compat `POST batches` (plain text, prefixes).
 */
export const BATCH_CREATE_PATH = /(\/openai\/batches|:asyncBatchEmbedContent)$/;

/** The Batch API job creations the emulator received (see {@link BATCH_CREATE_PATH}). */
export function batchCreates(emulator: Emulator, filter: { status?: number } = {}): LoggedRequest[] {
  return emulator
    .requests({ method: "POST", path: BATCH_CREATE_PATH })
    .filter((request) => filter.status === undefined || request.status === filter.status);
}

/**
 * The most requests the emulator had open at once: each is open from its arrival (`at`) until
 * its answer was written (`answeredAt`; still open when never answered), on the emulator's clock.
 */
export function mostInFlight(requests: ReadonlyArray<Pick<LoggedRequest, "at" | "answeredAt">>): number {
  const events = requests.flatMap((request) => [
    { at: request.at, delta: 1 },
    { at: request.answeredAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // An answer and the arrival it made room for can share a millisecond: the answer counts first.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const event of events) {
    open += event.delta;
    most = Math.max(most, open);
  }
  return most;
}
