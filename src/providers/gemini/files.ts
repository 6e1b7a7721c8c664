import { open } from "node:fs/promises";
import { ConfigError, GemindexError, ProviderError } from "../../errors.js";
import { type GeminiClient, linkSignal } from "./client.js";

/** A file stored by Gemini's Files API (https://ai.google.dev/api/files), as far as we read it. */
export interface GeminiFile {
  /** `files/<id>`. */
  name: string;
  displayName?: string;
  mimeType?: string;
  /** Size in bytes (the service sends a string). */
  sizeBytes: number;
  createTime?: string;
  /** Files are deleted 48 h after creation. */
  expirationTime?: string;
  sha256Hash?: string;
  uri?: string;
  /** `ACTIVE`, or `PROCESSING` for media. */
  state?: string;
}

export interface UploadFileOptions {
  /** Shown in the file list. */
  displayName?: string;
  /** @default "application/jsonl" */
  mimeType?: string;
  /**
   * Bytes per upload request. Gemini expects a multiple of its chunk granularity (8 MiB) for every
   * chunk but the last; smaller values are for tests. @default 8 MiB
   */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** js-genai's chunk size, and the granularity the service announces in `X-Goog-Upload-Chunk-Granularity`. */
export const defaultUploadChunkSize = 8 * 1024 * 1024;

interface RawFile {
  name?: unknown;
  displayName?: unknown;
  mimeType?: unknown;
  sizeBytes?: unknown;
  createTime?: unknown;
  expirationTime?: unknown;
  sha256Hash?: unknown;
  uri?: unknown;
  state?: unknown;
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

function toGeminiFile(raw: RawFile | undefined, operation: string): GeminiFile {
  const name = text(raw?.name);
  if (!raw || !name) throw new ProviderError(`${operation}: the final reply holds no file.`, { operation });
  const file: GeminiFile = { name, sizeBytes: Number(raw.sizeBytes ?? Number.NaN) };
  const optional = ["displayName", "mimeType", "createTime", "expirationTime", "sha256Hash", "uri", "state"] as const;
  for (const key of optional) {
    const value = text(raw[key]);
    if (value !== undefined) file[key] = value;
  }
  return file;
}

function needsNative(operation: string, client: GeminiClient): ConfigError {
  return new ConfigError(`${operation} needs Gemini's native API, which ${client.endpoints.compat} does not offer.`);
}

function uploadStatus(headers: Headers): string {
  return (headers.get("x-goog-upload-status") ?? "").toLowerCase();
}

/**
 * Uploads a file from disk with Gemini's resumable protocol: a `start` request (size, MIME type,
 * display name) returns a session URL in `X-Goog-Upload-URL`; the bytes follow in `chunkSize`
 * pieces read from disk one at a time (`upload` with `X-Goog-Upload-Offset`, the last one
 * `upload, finalize`), each checked against `X-Goog-Upload-Status`.
 *
 * Every request runs under the client's retry policy. A retried chunk first asks the session
 * where it stands (`X-Goog-Upload-Command: query` → `X-Goog-Upload-Size-Received`) and resumes
 * from there, so a chunk whose reply was lost is not sent twice and one that never arrived is.
 */
export async function uploadFile(
  client: GeminiClient,
  source: { path: string },
  options: UploadFileOptions = {},
): Promise<GeminiFile> {
  const { signal } = options;
  const uploadURL = client.endpoints.upload;
  if (!uploadURL) throw needsNative("file upload", client);
  const chunkSize = options.chunkSize ?? defaultUploadChunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const mimeType = options.mimeType ?? "application/jsonl";

  const handle = await open(source.path, "r");
  try {
    const { size } = await handle.stat();
    const started = await client.call(
      "file upload",
      (_attempt, scoped) =>
        client.native("file upload", {
          path: uploadURL,
          headers: {
            "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start",
            "x-goog-upload-header-content-length": String(size),
            "x-goog-upload-header-content-type": mimeType,
          },
          body: { file: options.displayName === undefined ? {} : { display_name: options.displayName } },
          signal: scoped,
        }),
      signal,
    );
    const session = started.headers.get("x-goog-upload-url");
    if (!session)
      throw new ProviderError("file upload: the service sent no X-Goog-Upload-URL.", { operation: "file upload" });

    let offset = 0;
    for (;;) {
      const step = await client.call(
        "file upload",
        async (attempt, scoped): Promise<{ file: GeminiFile } | { next: number }> => {
          if (attempt > 1) {
            const position = await querySession(client, session, size, scoped);
            if ("file" in position) return position;
            offset = position.received;
          }
          const length = Math.min(chunkSize, size - offset);
          const last = offset + length >= size;
          // A fresh buffer per attempt: an aborted request may still hold the previous one.
          const buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await handle.read(buffer, 0, length, offset);
          if (bytesRead !== length)
            throw new GemindexError(`${source.path} changed while it was being uploaded.`, "UPLOAD_SOURCE_CHANGED");
          const { body, headers } = await client.native<{ file?: RawFile }>("file upload", {
            path: session,
            headers: {
              "x-goog-upload-command": last ? "upload, finalize" : "upload",
              "x-goog-upload-offset": String(offset),
            },
            body: buffer,
            signal: scoped,
          });
          const status = uploadStatus(headers);
          if (status === "cancelled")
            throw new ProviderError("file upload: the service cancelled the upload session.", {
              operation: "file upload",
            });
          if (last) {
            if (status !== "final" && status !== "") {
              throw new ProviderError(
                `file upload: the last chunk was accepted but the upload status is "${status}", not final.`,
                { operation: "file upload" },
              );
            }
            return { file: toGeminiFile(body.file, "file upload") };
          }
          if (status !== "active" && status !== "") {
            throw new ProviderError(`file upload: unexpected upload status "${status}" after a chunk.`, {
              operation: "file upload",
            });
          }
          return { next: offset + length };
        },
        signal,
      );
      if ("file" in step) {
        if (Number.isFinite(step.file.sizeBytes) && step.file.sizeBytes !== size) {
          throw new ProviderError(
            `file upload: sent ${size} bytes but ${step.file.name} holds ${step.file.sizeBytes}.`,
            { operation: "file upload" },
          );
        }
        return step.file;
      }
      offset = step.next;
    }
  } finally {
    await handle.close();
  }
}

/** Where an upload session stands: the bytes it holds, or the file when it was already finalised. */
async function querySession(
  client: GeminiClient,
  session: string,
  size: number,
  signal: AbortSignal | undefined,
): Promise<{ received: number } | { file: GeminiFile }> {
  const { body, headers } = await client.native<{ file?: RawFile }>("file upload", {
    path: session,
    headers: { "x-goog-upload-command": "query" },
    signal,
  });
  const status = uploadStatus(headers);
  if (status === "final") return { file: toGeminiFile(body.file, "file upload") };
  if (status === "cancelled")
    throw new ProviderError("file upload: the service cancelled the upload session.", { operation: "file upload" });
  const received = Number(headers.get("x-goog-upload-size-received"));
  if (!Number.isInteger(received) || received < 0 || received > size) {
    throw new ProviderError(
      `file upload: the session reports an unusable X-Goog-Upload-Size-Received ` +
        `(${headers.get("x-goog-upload-size-received")}).`,
      {
        operation: "file upload",
      },
    );
  }
  return { received };
}

/**
 * Streams a stored file's text line by line (`\n` or `\r\n`; blank lines kept), decoding UTF-8
 * across network chunks, so a 200 MB batch output never sits in memory.
 *
 * It goes straight to the download URL (`…/download/v1beta/files/{id}:download?alt=media`),
 * never to the metadata endpoint first: batch outputs are named `files/batch-<36 chars>`, and the
 * metadata endpoint refuses ids over 40 characters while the download works (https://ai.google.dev/api/files).
 * Opening the download runs under the retry policy; a connection lost midway throws (lines
 * already yielded stay yielded) and is not retried here.
 */
export async function* downloadFile(
  client: GeminiClient,
  name: string,
  signal?: AbortSignal,
): AsyncGenerator<string, void, undefined> {
  const download = client.endpoints.download;
  if (!download) throw needsNative("file download", client);
  const url = download(name);
  // GeminiClient.native() reads whole bodies; the openai SDK's transport returns the Response
  // unread (`asResponse`), with our error unwrapping and timeout (to the headers only). Native
  // endpoints take x-goog-api-key and may refuse a Bearer key, so the SDK's header is removed.
  // The body is read after call() returns: one link to the caller's signal for the whole download.
  const link = linkSignal(signal);
  const response = await client
    .call(
      "file download",
      () =>
        client.openai
          .get(url, {
            headers: { authorization: null, accept: "*/*", "x-goog-api-key": client.openai.apiKey },
            signal: link.signal,
          })
          .asResponse(),
      link.signal,
    )
    .catch((error: unknown) => {
      link.dispose();
      throw error;
    });
  if (!response.body) {
    link.dispose();
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw client.normalize("file download", error);
      }
      if (chunk.done) break;
      pending += decoder.decode(chunk.value, { stream: true });
      let newline = pending.indexOf("\n");
      if (newline === -1) continue;
      let start = 0;
      while (newline !== -1) {
        yield stripCarriageReturn(pending.slice(start, newline));
        start = newline + 1;
        newline = pending.indexOf("\n", start);
      }
      pending = pending.slice(start);
    }
    pending += decoder.decode();
    if (pending !== "") yield stripCarriageReturn(pending);
  } finally {
    link.dispose();
    await reader.cancel().catch(() => undefined);
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/**
 * Deletes a stored file. One that is already gone (expired after 48 h, deleted by a retried
 * call) counts as deleted: Gemini answers 403 "…or it may not exist" or 404 for it.
 * Batch outputs (`files/batch-…`, 42 characters) cannot be deleted: the service refuses ids over
 * 40 characters with 400 (https://ai.google.dev/api/files); they expire on their own.
 */
export async function deleteFile(client: GeminiClient, name: string, signal?: AbortSignal): Promise<void> {
  const id = name.replace(/^files\//, "");
  try {
    await client.call(
      "file delete",
      (_attempt, scoped) =>
        client.native("file delete", { method: "DELETE", path: `files/${encodeURIComponent(id)}`, signal: scoped }),
      signal,
    );
  } catch (error) {
    if (
      error instanceof ProviderError &&
      (error.status === 404 || (error.status === 403 && /may not exist|not found/i.test(error.message)))
    )
      return;
    throw error;
  }
}
