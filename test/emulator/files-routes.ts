/**
 * Native Files routes (https://ai.google.dev/api/files): resumable upload (start, upload, finalize, query, cancel),
 * download by `:download?alt=media`, metadata get/list/delete with the 40-character id limit
 * that breaks metadata calls on `files/batch-…` outputs while downloads still work.
 */
import { authenticate } from "./auth.js";
import { GoogleApiError, invalidArgument, notFound } from "./errors.js";
import { isObject, parseJsonBody, protoField, rejectUnknownFields } from "./fields.js";
import { MAX_FILE_ID_LENGTH } from "./files.js";
import { paginate } from "./paging.js";
import { json, type Reply, type RequestContext } from "./route.js";

const CHUNK_GRANULARITY = String(8 * 1024 * 1024);

/** The id from the path; metadata calls refuse ids over 40 characters. */
function fileId(context: RequestContext, request?: "GetFileRequest" | "DeleteFileRequest"): string {
  const id = decodeURIComponent(context.params[0] ?? "");
  if (request && id.length > MAX_FILE_ID_LENGTH) {
    throw invalidArgument(
      `* ${request}.name: File ID (name excluding 'files/') cannot be more than ${MAX_FILE_ID_LENGTH} characters.\n`,
    );
  }
  return id;
}

function startUpload(context: RequestContext): Reply {
  authenticate(context, "native", context.state.options);
  const protocol = context.headers["x-goog-upload-protocol"];
  const command = context.headers["x-goog-upload-command"];
  if (protocol !== "resumable" || command !== "start") {
    throw invalidArgument(
      "The emulator supports only resumable uploads: X-Goog-Upload-Protocol: resumable with X-Goog-Upload-Command: " +
        "start.",
    );
  }
  const body = parseJsonBody(context.raw);
  rejectUnknownFields(body, ["file"]);
  const file = body.file ?? {};
  if (!isObject(file)) throw invalidArgument("Invalid value at 'file' (TYPE_MESSAGE)");
  rejectUnknownFields(file, ["name", "display_name", "mime_type"], { at: "file", protoNames: true });
  let requestedId: string | undefined;
  if (typeof file.name === "string") {
    requestedId = file.name.replace(/^files\//, "");
    if (requestedId.length > MAX_FILE_ID_LENGTH || !/^[a-z0-9-]+$/.test(requestedId) || requestedId.startsWith("-")) {
      throw invalidArgument(
        `Invalid file name ${JSON.stringify(file.name)}: use up to ${MAX_FILE_ID_LENGTH} lowercase letters, digits ` +
          `or dashes.`,
      );
    }
    if (context.state.files.has(requestedId))
      throw new GoogleApiError(409, `File files/${requestedId} already exists.`);
  }
  const declared = context.headers["x-goog-upload-header-content-length"];
  const displayName = protoField(file, "display_name");
  const mimeType = context.headers["x-goog-upload-header-content-type"] ?? protoField(file, "mime_type");
  const session = context.state.files.openSession({
    ...(typeof displayName === "string" ? { displayName } : {}),
    ...(typeof mimeType === "string" ? { mimeType } : {}),
    ...(requestedId === undefined ? {} : { fileId: requestedId }),
    ...(declared === undefined ? {} : { declaredLength: Number(declared) }),
  });
  const url = `${context.state.origin}/upload/v1beta/files?upload_id=${session.id}&upload_protocol=resumable`;
  return {
    type: "bytes",
    body: Buffer.alloc(0),
    headers: {
      "x-goog-upload-url": url,
      "x-goog-upload-control-url": url,
      "x-goog-upload-status": "active",
      "x-goog-upload-chunk-granularity": CHUNK_GRANULARITY,
    },
  };
}

function continueUpload(context: RequestContext, sessionId: string): Reply {
  const { files, origin } = context.state;
  const session = files.session(sessionId);
  if (!session) throw notFound("Upload session not found or already finalized.");
  const commands = (context.headers["x-goog-upload-command"] ?? "").split(",").map((command) => command.trim());
  const status = (value: string) => ({
    "x-goog-upload-status": value,
    "x-goog-upload-size-received": String(session.received),
  });
  if (commands.includes("cancel")) {
    files.closeSession(session.id);
    return { type: "bytes", body: Buffer.alloc(0), headers: status("cancelled") };
  }
  if (commands.includes("query")) return { type: "bytes", body: Buffer.alloc(0), headers: status("active") };
  if (commands.includes("upload")) {
    const offset = Number(context.headers["x-goog-upload-offset"]);
    if (!Number.isInteger(offset) || offset !== session.received) {
      throw invalidArgument(
        `Invalid X-Goog-Upload-Offset ${context.headers["x-goog-upload-offset"] ?? "(missing)"}: expected ` +
          `${session.received}.`,
      );
    }
    session.chunks.push(context.raw);
    session.received += context.raw.length;
  }
  if (!commands.includes("finalize")) {
    if (!commands.includes("upload")) throw invalidArgument(`Unknown X-Goog-Upload-Command: ${commands.join(", ")}`);
    return { type: "bytes", body: Buffer.alloc(0), headers: status("active") };
  }
  if (session.declaredLength !== undefined && session.declaredLength !== session.received) {
    throw invalidArgument(
      `Upload size ${session.received} does not match X-Goog-Upload-Header-Content-Length ${session.declaredLength}.`,
    );
  }
  files.closeSession(session.id);
  const stored = files.add({
    ...(session.fileId === undefined ? {} : { id: session.fileId }),
    ...(session.displayName === undefined ? {} : { displayName: session.displayName }),
    mimeType: session.mimeType ?? "application/octet-stream",
    bytes: Buffer.concat(session.chunks),
  });
  return json({ file: files.toJson(stored, origin) }, status("final"));
}

/** `POST /upload/v1beta/files` — starts a session, or continues one when `upload_id` is set. */
export function upload(context: RequestContext): Reply {
  const sessionId = context.query.upload_id;
  return sessionId === undefined ? startUpload(context) : continueUpload(context, sessionId);
}

/** `GET /download/v1beta/files/{id}:download?alt=media` (also without the /download prefix). */
export function downloadFile(context: RequestContext): Reply {
  if (context.query.alt !== "media") throw invalidArgument("Downloads need ?alt=media.");
  const file = context.state.files.require(fileId(context));
  return { type: "bytes", body: file.bytes, headers: { "content-type": file.mimeType } };
}

export function getFile(context: RequestContext): Reply {
  const file = context.state.files.require(fileId(context, "GetFileRequest"));
  return json(context.state.files.toJson(file, context.state.origin));
}

export function deleteFile(context: RequestContext): Reply {
  const id = fileId(context, "DeleteFileRequest");
  context.state.files.require(id);
  context.state.files.delete(id);
  return json({});
}

/** `GET /v1beta/files?pageSize=&pageToken=` — newest first, `{}` when empty. */
export function listFiles(context: RequestContext): Reply {
  const { files, origin } = context.state;
  return json(
    paginate("files", files.list(), context.query, { pageSize: 10, max: 100 }, (file) => files.toJson(file, origin)),
  );
}
