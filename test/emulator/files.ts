/**
 * The Files store (https://ai.google.dev/api/files): uploaded and generated files, deleted 48 h after creation on
 * the emulator clock, plus the open resumable-upload sessions.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "./clock.js";
import { type GoogleApiError, notFound, permissionDenied } from "./errors.js";
import type { EmulatorOptions } from "./types.js";

export interface StoredFile {
  /** Id without `files/` (generated batch output ids are 42 chars). */
  id: string;
  displayName?: string;
  mimeType: string;
  bytes: Buffer;
  createTime: number;
  expirationTime: number;
  source: "UPLOADED" | "GENERATED";
  /** Emulator-clock ms until which the file reports PROCESSING. */
  processingUntil: number;
}

export interface UploadSession {
  id: string;
  displayName?: string;
  mimeType?: string;
  /** Requested id (from `file.name`), already validated. */
  fileId?: string;
  declaredLength?: number;
  chunks: Buffer[];
  received: number;
}

export const FILE_TTL_MS = 48 * 60 * 60 * 1000;
export const MAX_FILE_ID_LENGTH = 40;

/** MIME types whose bytes the emulated model reads as text. */
export function isTextMime(mimeType: string): boolean {
  return /^(text\/|application\/(json|jsonl|x-ndjson|xml|markdown))/.test(mimeType);
}

/**
 * The error for a file that does not exist: 403 with the text the real API sends, or 404 NOT_FOUND
 * as Google's error table lists it (https://ai.google.dev/gemini-api/docs/troubleshooting; option
 * `missingFileStatus`).
 */
export function missingFileError(id: string, options: EmulatorOptions): GoogleApiError {
  return (options.missingFileStatus ?? 403) === 404
    ? notFound(`File files/${id} not found.`)
    : permissionDenied(`You do not have permission to access the File ${id} or it may not exist.`);
}

/** 12 lower-case letters and digits, like real file ids. */
export function newFileId(length = 12): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

export class FileStore {
  readonly #files = new Map<string, StoredFile>();
  readonly #sessions = new Map<string, UploadSession>();

  constructor(
    private readonly clock: Clock,
    private readonly options: () => EmulatorOptions,
  ) {}

  add(input: {
    id?: string;
    displayName?: string;
    mimeType: string;
    bytes: Buffer;
    source?: StoredFile["source"];
  }): StoredFile {
    const now = this.clock.now();
    const media = /^(video|audio)\//.test(input.mimeType);
    const file: StoredFile = {
      id: input.id ?? newFileId(),
      ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
      mimeType: input.mimeType,
      bytes: input.bytes,
      createTime: now,
      expirationTime: now + FILE_TTL_MS,
      source: input.source ?? "UPLOADED",
      processingUntil: media ? now + (this.options().mediaProcessingMs ?? 0) : now,
    };
    this.#files.set(file.id, file);
    return file;
  }

  /** A live file; expired files are deleted on sight. */
  find(id: string): StoredFile | undefined {
    const file = this.#files.get(id);
    if (file && file.expirationTime <= this.clock.now()) {
      this.#files.delete(id);
      return undefined;
    }
    return file;
  }

  /** A live file by `files/<id>` or a file URI ending in it; throws the missing-file error. */
  require(nameOrUri: string): StoredFile {
    const id = /(?:^|files\/)([^/:?]+)$/.exec(nameOrUri)?.[1] ?? nameOrUri;
    const file = this.find(id);
    if (!file) throw missingFileError(id, this.options());
    return file;
  }

  has(id: string): boolean {
    return this.find(id) !== undefined;
  }

  /** Live files, newest first. */
  list(): StoredFile[] {
    return [...this.#files.keys()]
      .map((id) => this.find(id))
      .filter((file): file is StoredFile => file !== undefined)
      .reverse();
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }

  openSession(session: Omit<UploadSession, "id" | "chunks" | "received">): UploadSession {
    const opened: UploadSession = { ...session, id: randomBytes(24).toString("base64url"), chunks: [], received: 0 };
    this.#sessions.set(opened.id, opened);
    return opened;
  }

  session(id: string): UploadSession | undefined {
    return this.#sessions.get(id);
  }

  closeSession(id: string): void {
    this.#sessions.delete(id);
  }

  clear(): void {
    this.#files.clear();
    this.#sessions.clear();
  }

  /** The File resource JSON: `sizeBytes` is a string; `sha256Hash` is base64 of the hex digest. */
  toJson(file: StoredFile, origin: string): Record<string, unknown> {
    const hexDigest = createHash("sha256").update(file.bytes).digest("hex");
    return {
      name: `files/${file.id}`,
      ...(file.displayName === undefined ? {} : { displayName: file.displayName }),
      mimeType: file.mimeType,
      sizeBytes: String(file.bytes.length),
      createTime: this.clock.iso(file.createTime),
      updateTime: this.clock.iso(file.createTime),
      expirationTime: this.clock.iso(file.expirationTime),
      sha256Hash: Buffer.from(hexDigest).toString("base64"),
      uri: `${origin}/v1beta/files/${file.id}`,
      downloadUri: `${origin}/download/v1beta/files/${file.id}:download?alt=media`,
      state: this.clock.now() < file.processingUntil ? "PROCESSING" : "ACTIVE",
      source: file.source,
    };
  }
}
