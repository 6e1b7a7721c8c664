/**
 * The HTTP server: reads the request, logs it, checks the key, applies injected faults, runs the
 * route and writes JSON, bytes or SSE — after the configured latency. Errors are Google-shaped,
 * array-wrapped on the compat surface, and never carry a Retry-After header.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { authenticate } from "./auth.js";
import {
  errorPayload,
  GoogleApiError,
  genericError,
  notFound,
  parseDuration,
  resourceExhausted,
  type Surface,
} from "./errors.js";
import { type FaultQueue, pathMatches } from "./faults.js";
import { isObject, type JsonObject, parseJsonBody } from "./fields.js";
import type { Reply, RequestContext } from "./route.js";
import { matchRoute } from "./routes.js";
import type { EmulatorState } from "./state.js";
import type { Fault, LoggedRequest } from "./types.js";

const JSON_TYPE = "application/json; charset=UTF-8";

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Parsed JSON for JSON requests, `{bytes}` for uploads and other bodies. */
function loggedBody(raw: Buffer, headers: Record<string, string>, query: Record<string, string>): unknown {
  if (raw.length === 0) return undefined;
  if (query.upload_id === undefined && /^application\/json\b/i.test(headers["content-type"] ?? "")) {
    try {
      return JSON.parse(raw.toString("utf8"));
    } catch {
      // Logged as bytes; the route answers the parse error.
    }
  }
  return { bytes: raw.length };
}

function isStreamRequest(body: unknown): boolean {
  return isObject(body) && body.stream === true;
}

/** Embedding routes, compat and native. */
const EMBEDDING_PATH = /\/openai\/embeddings$|:(batchEmbedContents|embedContent)$/;

/** A transient 429 for this request when `transientRateLimits` picks it (see EmulatorOptions). */
function transientFault(state: EmulatorState, path: string): Fault | undefined {
  const transient = state.options.transientRateLimits;
  if (!transient || !EMBEDDING_PATH.test(path)) return undefined;
  const n = state.embeddingRequests++;
  // A multiplicative hash of the request's number, spread over [0, 1): deterministic and even.
  const draw = (Math.imul(n + 1, 0x9e3779b1) >>> 0) / 2 ** 32;
  if (draw >= transient.share) return undefined;
  return { status: 429, retryDelay: transient.retryDelay ?? "1s", quotaFailure: false };
}

/** The error an injected fault answers with (429s get QuotaFailure/Help/RetryInfo). */
export function faultError(fault: Fault, path: string, body: unknown): GoogleApiError {
  if (fault.status !== 429) return genericError(fault.status, fault.message, fault.googleStatus);
  const retryDelay = fault.retryDelay ?? "1s";
  const model = String((isObject(body) && body.model) || /models\/([^/:]+)/.exec(path)?.[1] || "unknown").replace(
    /^models\//,
    "",
  );
  const embed = /embed/i.test(path);
  return resourceExhausted({
    retryMs: parseDuration(retryDelay) ?? 1000,
    retryDelay,
    ...(fault.message === undefined ? {} : { message: fault.message }),
    violation:
      fault.quotaFailure === false
        ? undefined
        : {
            metric:
              `generativelanguage.googleapis.com/` +
              `${embed ? "embed_content" : "generate_content"}_free_tier_requests`,
            quotaId: embed
              ? "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier"
              : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            model,
            limit: 0,
          },
  });
}

class Exchange {
  constructor(
    private readonly response: ServerResponse,
    private readonly entry: LoggedRequest,
    private readonly state: EmulatorState,
  ) {}

  async #delay(): Promise<void> {
    const ms = this.state.options.latencyMs ?? 0;
    if (ms > 0) await sleep(ms);
  }

  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  drop(): void {
    this.response.socket?.destroy();
    this.response.destroy();
  }

  async json(status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    await this.#delay();
    if (!this.open) return;
    this.entry.status = status;
    this.response.writeHead(status, { "content-type": JSON_TYPE, ...headers });
    this.response.end(JSON.stringify(body));
    this.#answered();
  }

  #answered(): void {
    this.entry.answeredAt = this.state.clock.now();
  }

  async error(error: GoogleApiError, surface: Surface): Promise<void> {
    await this.json(error.code, errorPayload(error, surface));
  }

  async reply(reply: Reply, streamFault: Fault | undefined, path: string, body: unknown): Promise<void> {
    if (reply.type === "json") return this.json(reply.status ?? 200, reply.body, reply.headers);
    await this.#delay();
    if (!this.open) return;
    if (reply.type === "bytes") {
      this.entry.status = reply.status ?? 200;
      this.response.writeHead(this.entry.status, {
        "content-type": "application/octet-stream",
        ...reply.headers,
        "content-length": String(reply.body.length),
      });
      this.response.end(reply.body);
      this.#answered();
      return;
    }
    this.entry.status = 200;
    this.response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...reply.headers,
    });
    const gap = () => this.state.options.streamChunkDelayMs ?? 0;
    // A stream that is cut short never got to its finish_reason.
    const chunks = streamFault ? reply.chunks.map(withoutFinishReason) : reply.chunks;
    for (let i = 0; i <= chunks.length; i++) {
      if (streamFault && i === Math.min(streamFault.afterStreamChunks ?? 0, chunks.length)) {
        return await this.#endStream(streamFault, chunks[Math.max(0, i - 1)], path, body);
      }
      if (i === chunks.length) break;
      if (i > 0 && gap() > 0) await sleep(gap());
      if (!this.open) return;
      this.response.write(`data: ${JSON.stringify(chunks[i])}\n\n`);
    }
    this.response.end("data: [DONE]\n\n");
    this.#answered();
  }

  /** Ends an SSE stream the way an injected fault says (see `Fault.streamEnd`). */
  async #endStream(fault: Fault, previous: unknown, path: string, body: unknown): Promise<void> {
    if (fault.dropConnection) {
      // Let the chunks already written reach the client first: destroying the socket discards unsent data.
      await new Promise<void>((resolve) => this.response.write("", () => resolve()));
      return this.drop();
    }
    const end = fault.streamEnd ?? "error";
    if (end === "eof") this.response.end();
    else if (end === "done") this.response.end("data: [DONE]\n\n");
    else if (end === "length" || end === "content_filter") {
      const last = finishChunk(previous, end);
      this.response.end(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
    } else {
      // openai-node throws APIError for an SSE payload with an `error` key.
      this.response.end(`data: ${JSON.stringify(faultError(fault, path, body).toBody())}\n\n`);
    }
  }
}

function withoutFinishReason(chunk: unknown): unknown {
  if (!isObject(chunk) || !Array.isArray(chunk.choices)) return chunk;
  return {
    ...chunk,
    choices: chunk.choices.map((choice) => {
      if (!isObject(choice)) return choice;
      const { finish_reason: _, ...rest } = choice;
      return rest;
    }),
  };
}

/** The chunk that stops a stream for `reason`: empty content, the same id and usage as the one before. */
function finishChunk(previous: unknown, reason: string): JsonObject {
  const base = isObject(previous) ? previous : {};
  return {
    ...base,
    choices: [{ delta: { content: "", role: "assistant" }, finish_reason: reason, index: 0 }],
  };
}

/** A non-streaming completion stopped for `reason` (a "length" or "content_filter" fault): no content. */
function finishedEarly(body: unknown, reason: string): unknown {
  if (!isObject(body) || !Array.isArray(body.choices)) return body;
  return {
    ...body,
    choices: body.choices.map((choice) =>
      isObject(choice)
        ? { ...choice, finish_reason: reason, message: { role: "assistant", content: reason === "length" ? "" : null } }
        : choice,
    ),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  state: EmulatorState,
  log: LoggedRequest[],
  faults: FaultQueue,
): Promise<void> {
  const raw = await readBody(request);
  const method = (request.method ?? "GET").toUpperCase();
  const url = new URL(request.url ?? "/", "http://emulator.invalid");
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  const headers = flatHeaders(request);
  const body = loggedBody(raw, headers, query);
  const entry: LoggedRequest = { method, path, query, headers, body, status: 0, at: state.clock.now() };
  log.push(entry);
  const exchange = new Exchange(response, entry, state);
  const surface: Surface = path.startsWith("/v1beta/openai/") ? "compat" : "native";
  const held = state.held;
  if (held && pathMatches(held.path, path)) await held.released;
  try {
    const match = matchRoute(method, path);
    if (!match) throw notFound(`Method not found: ${method} ${path}`);
    if (match.route.auth !== "none") authenticate({ headers, query }, match.route.auth, state.options);
    const stream = isStreamRequest(body);
    const fault = faults.take(method, path, stream) ?? transientFault(state, path);
    const midStream = stream && (fault?.afterStreamChunks !== undefined || fault?.streamEnd !== undefined);
    const stopsEarly = !stream && (fault?.streamEnd === "length" || fault?.streamEnd === "content_filter");
    if (fault && !midStream && !stopsEarly) {
      if (fault.dropConnection) return exchange.drop();
      if (fault.body !== undefined) return exchange.json(fault.status, fault.body);
      return exchange.error(faultError(fault, path, body), match.route.surface);
    }
    let parsed: JsonObject | undefined;
    const context: RequestContext = {
      method,
      path,
      query,
      headers,
      raw,
      params: match.params,
      state,
      json: () => (parsed ??= parseJsonBody(raw)),
      ...(fault && midStream ? { streamFault: fault } : {}),
    };
    const reply = await match.route.handler(context);
    if (stopsEarly && reply.type === "json") reply.body = finishedEarly(reply.body, fault!.streamEnd!);
    await exchange.reply(reply, midStream ? fault : undefined, path, body);
  } catch (error) {
    if (error instanceof GoogleApiError) return exchange.error(error, surface);
    console.error("gemini emulator: handler crashed", error);
    return exchange.error(
      genericError(500, `Emulator bug: ${error instanceof Error ? error.message : String(error)}`),
      surface,
    );
  }
}

/** An http.Server running the emulator over `state`, appending to `log`. */
export function createEmulatorServer(state: EmulatorState, log: LoggedRequest[], faults: FaultQueue): Server {
  return createServer((request, response) => {
    handle(request, response, state, log, faults).catch((error: unknown) => {
      console.error("gemini emulator: request failed", error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
}
