/** The shapes shared by the server and every route handler. */
import type { Surface } from "./errors.js";
import type { JsonObject } from "./fields.js";
import type { EmulatorState } from "./state.js";
import type { Fault } from "./types.js";

export interface RequestContext {
  method: string;
  /** Path without the query, percent-encoding kept (e.g. `/v1beta/openai/batches/batches%2Fabc`). */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  raw: Buffer;
  /** Capture groups of the route pattern, still percent-encoded. */
  params: string[];
  state: EmulatorState;
  /** The body as a JSON object (400 Google-style when it is not one). */
  json(): JsonObject;
  /** A consumed fault that must fire in the middle of this SSE stream. */
  streamFault?: Fault;
}

export type Reply =
  | { type: "json"; status?: number; body: unknown; headers?: Record<string, string> }
  | { type: "bytes"; status?: number; body: Buffer; headers?: Record<string, string> }
  /** `data: {json}` events followed by `data: [DONE]`. */
  | { type: "sse"; chunks: unknown[]; headers?: Record<string, string> };

export interface Route {
  method: string;
  pattern: RegExp;
  surface: Surface;
  /** Which key check runs before the handler ("none": the handler decides). */
  auth: Surface | "none";
  handler(context: RequestContext): Reply | Promise<Reply>;
}

export function json(body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { type: "json", body } : { type: "json", body, headers };
}
