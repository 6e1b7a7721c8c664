import "./lance-env.js";
import { mkdir, stat } from "node:fs/promises";
import * as lancedb from "@lancedb/lancedb";
import { ConfigError, StoreError } from "../errors.js";
import { objectStoreFailure } from "./object-store-errors.js";
import { isRemoteUri } from "./uri.js";

export interface ConnectOptions {
  readConsistencyInterval: number;
  session: lancedb.Session;
  /** LanceDB storage options (credentials, endpoint) for an index on object storage. */
  storageOptions?: Record<string, string>;
}

/**
 * Connects to the index at `uri`. A local folder is opened through LanceDB's directory namespace
 * without its `__manifest` table: a plain `connect()` creates that table in any folder it is
 * pointed at, so a reader would write (and fail on a read-only index). Returns undefined for a
 * local folder that does not exist, unless `create` (a writer holding the lock) asks for it.
 *
 * An object-store URI (`s3://bucket/prefix`, `gs://…`, `az://…`) is opened the same way, so a
 * reader with a read-only credential never tries to write; connecting sends no request (a
 * missing prefix is an index that does not exist yet).
 */
export async function connectIndex(
  uri: string,
  options: ConnectOptions,
  create: boolean,
): Promise<lancedb.Connection | undefined> {
  const remote = isRemoteUri(uri);
  if (!remote) {
    const kind = await localKind(uri);
    if (kind === "file") throw notAFolder(uri);
    if (kind === "missing") {
      if (!create) return undefined;
      await mkdir(uri, { recursive: true }).catch((error: unknown) => {
        throw storeFailure(error, uri, "create");
      });
    }
  }
  const storageOptions = remote ? (options.storageOptions ?? {}) : undefined;
  try {
    const db = await lancedb.connectNamespace(
      "dir",
      {
        root: uri,
        manifestEnabled: false,
        // The namespace lists tables with its own object-store client, configured by `storage.*`.
        extraProperties: Object.fromEntries(
          Object.entries(storageOptions ?? {}).map(([key, value]) => [`storage.${key}`, value]),
        ),
      },
      { ...options, storageOptions },
    );
    return storageOptions ? withStorageOptions(db, storageOptions) : db;
  } catch (error) {
    throw storeFailure(error, uri, "open");
  }
}

/**
 * A namespace connection hands its storage options to tables it creates, but not to tables it
 * opens (LanceDB 0.31): an opened table would then look for credentials and a region on its own
 * (and, with an S3-compatible endpoint, ask amazonaws.com). This wrapper passes them to every
 * `openTable`, and does `createEmptyTable(…, { existOk })` as create-or-open for the same reason.
 */
function withStorageOptions(db: lancedb.Connection, storageOptions: Record<string, string>): lancedb.Connection {
  const openTable: lancedb.Connection["openTable"] = (name, namespacePath, options) =>
    db.openTable(name, namespacePath ?? [], {
      ...options,
      storageOptions: { ...storageOptions, ...options?.storageOptions },
    });
  // gemindex calls it as (name, schema, options?), never with a namespace path.
  const createEmptyTable = async (
    name: string,
    schema: Parameters<lancedb.Connection["createEmptyTable"]>[1],
    options: Partial<lancedb.CreateTableOptions> = {},
  ): Promise<lancedb.Table> => {
    const { existOk, ...rest } = options;
    if (existOk && (await db.tableNames()).includes(name)) return openTable(name);
    try {
      return await db.createEmptyTable(name, schema, { ...rest, storageOptions });
    } catch (error) {
      // Another writer created it first.
      if (existOk && /already exists/i.test(String((error as Error).message))) return openTable(name);
      throw error;
    }
  };
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === "openTable") return openTable;
      if (property === "createEmptyTable") return createEmptyTable;
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function localKind(uri: string): Promise<"missing" | "folder" | "file"> {
  try {
    return (await stat(uri)).isDirectory() ? "folder" : "file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    if (code === "ENOTDIR") return "file";
    throw storeFailure(error, uri, "open");
  }
}

/** The error for an index location that names a file. */
export function notAFolder(uri: string): ConfigError {
  return new ConfigError(`The index location ${uri} is a file, not a folder: give a folder (or a LanceDB URI).`, {
    code: "INDEX_LOCATION",
    data: { uri },
  });
}

/**
 * A LanceDB or file-system failure as a gemindex error: refusals that come from the setup
 * (permissions, a file where a folder should be, a read-only file system) are configuration
 * errors with a sentence; anything else a StoreError that keeps LanceDB's words.
 */
export function storeFailure(error: unknown, uri: string, action: "open" | "create" | "write" | "read"): Error {
  if (error instanceof StoreError || error instanceof ConfigError) return error;
  if (isRemoteUri(uri)) {
    const refused = objectStoreFailure(error, uri, action === "write" || action === "create");
    if (refused) return refused;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || /permission denied|os error 13\b/i.test(message))
    return new ConfigError(
      `The index at ${uri} cannot be ${action === "read" || action === "open" ? "read" : "written"}: permission ` +
        `denied.` +
        (action === "read" || action === "open" ? "" : " Indexing needs write access to the index folder."),
      { cause: error },
    );
  if (code === "EROFS" || /read-only file system|os error 30\b/i.test(message))
    return new ConfigError(`The index at ${uri} is on a read-only file system: it can be searched, not written.`, {
      cause: error,
    });
  if (code === "ENOTDIR" || /not a directory|os error 20\b/i.test(message)) return notAFolder(uri);
  if (code === "ENOSPC" || /no space left|os error 28\b/i.test(message))
    return new ConfigError(`The disk holding the index at ${uri} is full.`, { cause: error });
  if (/unable to create(d)? lance dataset/i.test(message))
    return new ConfigError(`Cannot create the index at ${uri}: ${firstLine(message)}`, { cause: error });
  return new StoreError(
    `The index at ${uri} could not be ` +
      `${action === "open" ? "opened" : `${action === "read" ? "read" : "written"}`}: ${firstLine(message)}`,
    {
      cause: error,
    },
  );
}

/** LanceDB messages carry a chain of "Caused by" and source locations; the first clause says it. */
export function firstLine(message: string): string {
  const cut = message.split(/\s+Caused by:|, \/(?:usr|rustc)\//)[0] ?? message;
  return cut.trim();
}
