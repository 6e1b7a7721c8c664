/** Small helpers shared by the emulator's own tests (raw HTTP calls and SSE parsing). */
import OpenAI from "openai";
import type { Emulator } from "./types.js";

export function sdk(emulator: Emulator, apiKey = emulator.apiKey): OpenAI {
  return new OpenAI({ apiKey, baseURL: emulator.baseURL, maxRetries: 0 });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

async function toRaw(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POST/GET/… JSON to a compat path (relative to baseURL) with the Bearer key. */
export async function compat(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  apiKey: string | null = emulator.apiKey,
): Promise<RawResponse> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  return toRaw(await fetch(emulator.baseURL + path, init));
}

/** A native call (`/v1beta/...`) with x-goog-api-key. */
export async function native(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { "x-goog-api-key": emulator.apiKey },
): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return toRaw(await fetch(emulator.origin + path, init));
}

/** Resumable upload in `chunkSize` pieces, as js-genai does; returns the final reply. */
export async function uploadFile(
  emulator: Emulator,
  bytes: Buffer,
  options: { mimeType?: string; displayName?: string; chunkSize?: number } = {},
): Promise<RawResponse & { file: Record<string, unknown> }> {
  const mimeType = options.mimeType ?? "application/jsonl";
  const start = await fetch(`${emulator.origin}/upload/v1beta/files`, {
    method: "POST",
    headers: {
      "x-goog-api-key": emulator.apiKey,
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": String(bytes.length),
      "x-goog-upload-header-content-type": mimeType,
      "content-type": "application/json",
    },
    body: JSON.stringify({ file: { display_name: options.displayName ?? "upload" } }),
  });
  if (start.status !== 200) throw new Error(`upload start failed: ${start.status} ${await start.text()}`);
  const url = start.headers.get("x-goog-upload-url");
  if (!url) throw new Error("no X-Goog-Upload-URL");
  const size = options.chunkSize ?? Math.max(bytes.length, 1);
  let offset = 0;
  for (;;) {
    const chunk = bytes.subarray(offset, offset + size);
    const last = offset + chunk.length >= bytes.length;
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "x-goog-upload-command": last ? "upload, finalize" : "upload",
        "x-goog-upload-offset": String(offset),
      },
      body: chunk,
    });
    offset += chunk.length;
    if (last || response.status !== 200) {
      const raw = await toRaw(response);
      const file = (raw.body as { file?: Record<string, unknown> }).file ?? {};
      return { ...raw, file };
    }
    await response.arrayBuffer();
  }
}

/** The `data:` payloads of an SSE body, in order (`[DONE]` kept as a string). */
export function sseEvents(text: string): unknown[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : JSON.parse(data);
    });
}

/** The first (only) error object of a compat array body or a native bare body. */
export function googleError(body: unknown): {
  code: number;
  message: string;
  status: string;
  details?: Record<string, unknown>[];
} {
  const wrapped = Array.isArray(body) ? body[0] : body;
  return (wrapped as { error: { code: number; message: string; status: string; details?: Record<string, unknown>[] } })
    .error;
}
