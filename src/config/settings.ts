import path from "node:path";
import { ConfigError } from "../errors.js";
import { storageOptionsFromEnv } from "./storage-env.js";

/** Whether documents and queries use task types (see `Settings.taskTypes`). */
export type TaskTypesSetting = "auto" | "off";

/** Everything an index handle needs to know, after defaults, env and flags are merged. */
export interface Settings {
  /** Where the index lives: a folder or any LanceDB URI. @default "data/index" */
  uri: string;
  /** GEMINI_API_KEY. Without it gemindex runs lexical-only and does not generate answers. */
  apiKey?: string;
  /** GEMINI_BASE_URL. @default "https://generativelanguage.googleapis.com/v1beta/openai/" */
  baseURL?: string;
  /** @default the index's model, else "gemini-embedding-001" */
  embeddingModel?: string;
  /** @default the index's dimensions, else 768 */
  dimensions?: number;
  /**
   * Task types for a new index (or one rebuilt with `reset`): "auto" embeds documents as
   * RETRIEVAL_DOCUMENT with their title and queries as RETRIEVAL_QUERY (gemini-embedding-001)
   * where the base URL has Gemini's native endpoints, plain text on both sides elsewhere; "off"
   * embeds plain text on both sides. An existing index keeps the pairing it recorded under
   * "auto"; "off" on an index recorded with task types is an EMBEDDING_MISMATCH for new documents.
   * @default "auto"
   */
  taskTypes?: TaskTypesSetting;
  /** @default "gemini-3-flash-preview" */
  chatModel?: string;
  /** Working directory: relative paths and displayed paths are relative to it. */
  cwd: string;
  /**
   * LanceDB storage options for an index on object storage (`s3://`, `gs://`, `az://`): credentials,
   * endpoint, region, timeouts (https://lancedb.com/docs/storage/). Filled from the standard
   * variables (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, …) of the env a caller passes; layers merge
   * key by key.
   */
  storageOptions?: Record<string, string>;
  /**
   * Seconds between a reader's checks for other processes' commits (0: every read). Long-lived
   * readers of an index that workers update (an MCP server) see new documents within it.
   * @default 1
   */
  readConsistencyInterval?: number;
  /**
   * A folder on this machine for what an index on object storage keeps locally: the vector log
   * that lets a re-run after a crash take the vectors it already paid for. Without it such an
   * index has no vector log (a notice says so). From GEMINDEX_CACHE_DIR, else
   * `$XDG_CACHE_HOME/gemindex`, else `$HOME/.cache/gemindex` of the env a caller passes.
   */
  cacheDir?: string;
}

/** The environment variables gemindex reads (only when a caller passes an env). */
export const environmentVariables = {
  GEMINI_API_KEY: "API key for Gemini (or the OpenAI-compatible server at GEMINI_BASE_URL)",
  GEMINI_BASE_URL: "OpenAI-compatible base URL (default https://generativelanguage.googleapis.com/v1beta/openai/)",
  GEMINDEX_DB: "index location (default data/index)",
  GEMINDEX_EMBEDDING_MODEL: "embedding model (default gemini-embedding-001)",
  GEMINDEX_DIMENSIONS: "embedding dimensions (default 768)",
  GEMINDEX_TASK_TYPES: "auto (RETRIEVAL_DOCUMENT/RETRIEVAL_QUERY where Gemini's native API exists) or off (plain text)",
  GEMINDEX_CHAT_MODEL: "chat model for answers (default gemini-3-flash-preview)",
  GEMINDEX_READ_CONSISTENCY: "seconds a reader waits before checking for other writers' commits (default 1)",
  GEMINDEX_CACHE_DIR: "local folder for an object-storage index's vector log (default $XDG_CACHE_HOME/gemindex)",
} as const;

function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(value)}.`);
  return number;
}

/** Settings found in an environment (e.g. `process.env`, passed in by the caller). Empty values count as unset. */
export function settingsFromEnv(env: Record<string, string | undefined>): Partial<Settings> {
  const pick = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  return dropUndefined({
    apiKey: pick("GEMINI_API_KEY"),
    baseURL: pick("GEMINI_BASE_URL"),
    uri: pick("GEMINDEX_DB"),
    embeddingModel: pick("GEMINDEX_EMBEDDING_MODEL"),
    dimensions: parseInteger("GEMINDEX_DIMENSIONS", pick("GEMINDEX_DIMENSIONS")),
    taskTypes: pick("GEMINDEX_TASK_TYPES") as TaskTypesSetting | undefined,
    chatModel: pick("GEMINDEX_CHAT_MODEL"),
    storageOptions: nonEmpty(storageOptionsFromEnv(env)),
    readConsistencyInterval: parseSeconds("GEMINDEX_READ_CONSISTENCY", pick("GEMINDEX_READ_CONSISTENCY")),
    cacheDir: cacheDirFromEnv(pick),
  });
}

function cacheDirFromEnv(pick: (name: string) => string | undefined): string | undefined {
  const explicit = pick("GEMINDEX_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = pick("XDG_CACHE_HOME");
  if (xdg) return path.join(xdg, "gemindex");
  const home = pick("HOME");
  return home ? path.join(home, ".cache", "gemindex") : undefined;
}

function parseSeconds(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new ConfigError(`${name} must be a number of seconds (0 or more), got ${JSON.stringify(value)}.`);
  return seconds;
}

function nonEmpty(options: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(options).length > 0 ? options : undefined;
}

/** Removes undefined values so a later layer does not erase an earlier one. */
export function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Merges layers, later ones winning (defaults < pipeline file < env < flags), and validates. */
export function resolveSettings(...layers: Array<Partial<Settings> | undefined>): Settings {
  const merged: Partial<Settings> = {};
  for (const layer of layers) {
    if (!layer) continue;
    const storageOptions = layer.storageOptions ? { ...merged.storageOptions, ...layer.storageOptions } : undefined;
    Object.assign(merged, dropUndefined({ ...layer, storageOptions }));
  }
  const cwd = merged.cwd ?? ".";
  const settings: Settings = { ...merged, cwd: path.resolve(cwd), uri: merged.uri ?? "data/index" };
  if (settings.dimensions !== undefined && (!Number.isInteger(settings.dimensions) || settings.dimensions < 1)) {
    throw new ConfigError(`dimensions must be a positive integer, got ${settings.dimensions}.`);
  }
  if (settings.taskTypes !== undefined && settings.taskTypes !== "auto" && settings.taskTypes !== "off") {
    throw new ConfigError(`taskTypes must be "auto" or "off", got ${JSON.stringify(settings.taskTypes)}.`, {
      code: "INVALID_OPTION",
      data: { option: "taskTypes", expected: '"auto" or "off"', got: JSON.stringify(settings.taskTypes) },
    });
  }
  return settings;
}
