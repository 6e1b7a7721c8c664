/**
 * `cachedContents` (https://ai.google.dev/gemini-api/docs/caching): a store keyed by id whose entries vanish at
 * `expireTime` on the
 * emulator clock, and the native create/get/list/patch/delete routes.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "./clock.js";
import { invalidArgument, parseDuration, permissionDenied } from "./errors.js";
import { invalidValue, isObject, type JsonObject, protoField, rejectUnknownFields } from "./fields.js";
import { type FileStore, isTextMime } from "./files.js";
import { CACHE_MIN_TOKENS, resolveModel } from "./models.js";
import { paginate } from "./paging.js";
import { json, type Reply, type RequestContext } from "./route.js";
import { estimateTokens } from "./tokens.js";
import type { EmulatorOptions } from "./types.js";

export interface CachedContent {
  /** Id without `cachedContents/`. */
  id: string;
  /** Model id without `models/`. */
  model: string;
  displayName?: string;
  createTime: number;
  updateTime: number;
  expireTime: number;
  totalTokens: number;
  /** Text of `systemInstruction`, for the chat responder. */
  systemText: string;
  /** Text of `contents` (text parts and text files), for the chat responder. */
  contentsText: string;
}

export const CACHE_NOT_FOUND = "CachedContent not found (or permission denied)";
const DEFAULT_TTL_MS = 60 * 60 * 1000;
const FIELDS = [
  "model",
  "contents",
  "system_instruction",
  "tools",
  "tool_config",
  "ttl",
  "expire_time",
  "display_name",
];

export class CacheStore {
  readonly #caches = new Map<string, CachedContent>();

  constructor(private readonly clock: Clock) {}

  add(cache: CachedContent): void {
    this.#caches.set(cache.id, cache);
  }

  /** A live cache by `cachedContents/<id>`; expired ones are dropped. */
  find(name: string): CachedContent | undefined {
    if (!name.startsWith("cachedContents/")) return undefined;
    const cache = this.#caches.get(name.slice("cachedContents/".length));
    if (cache && cache.expireTime <= this.clock.now()) {
      this.#caches.delete(cache.id);
      return undefined;
    }
    return cache;
  }

  /** Live caches, oldest first. */
  list(): CachedContent[] {
    return [...this.#caches.values()].filter((cache) => this.find(`cachedContents/${cache.id}`) !== undefined);
  }

  delete(id: string): boolean {
    return this.#caches.delete(id);
  }

  clear(): void {
    this.#caches.clear();
  }
}

export function minCacheTokens(model: string, options: EmulatorOptions): number {
  const table = options.cacheMinTokens ?? "2025";
  const minimums = typeof table === "string" ? CACHE_MIN_TOKENS[table] : table;
  return minimums[model] ?? minimums[`models/${model}`] ?? 1_024;
}

function toJson(cache: CachedContent, clock: Clock): JsonObject {
  return {
    name: `cachedContents/${cache.id}`,
    model: `models/${cache.model}`,
    ...(cache.displayName === undefined ? {} : { displayName: cache.displayName }),
    createTime: clock.iso(cache.createTime),
    updateTime: clock.iso(cache.updateTime),
    expireTime: clock.iso(cache.expireTime),
    usageMetadata: { totalTokenCount: cache.totalTokens },
  };
}

/** Text and token count of a Content's parts; text files referenced by `file_data` count as text. */
function contentText(content: unknown, at: string, files: FileStore): { text: string; tokens: number } {
  if (!isObject(content)) throw invalidValue(at, "object", content ?? null);
  rejectUnknownFields(content, ["role", "parts"], { at, protoNames: true });
  const parts = Array.isArray(content.parts) ? content.parts : [];
  const texts: string[] = [];
  let tokens = 0;
  parts.forEach((part, i) => {
    const partAt = `${at}.parts[${i}]`;
    if (!isObject(part)) throw invalidValue(partAt, "object", part);
    rejectUnknownFields(part, ["text", "inline_data", "file_data"], { at: partAt, protoNames: true });
    if (typeof part.text === "string") {
      texts.push(part.text);
      tokens += estimateTokens(part.text);
      return;
    }
    const fileData = protoField(part, "file_data");
    if (isObject(fileData)) {
      const file = files.require(String(protoField(fileData, "file_uri") ?? ""));
      if (isTextMime(file.mimeType)) {
        const text = file.bytes.toString("utf8");
        texts.push(text);
        tokens += estimateTokens(text);
      } else {
        tokens += 258;
      }
      return;
    }
    tokens += 258; // inline_data: one image's worth
  });
  return { text: texts.join("\n"), tokens };
}

function expiry(body: JsonObject, now: number): number | undefined {
  const ttl = body.ttl;
  const expireTime = protoField(body, "expire_time");
  if (ttl !== undefined && expireTime !== undefined) {
    throw invalidArgument(
      `Invalid JSON payload received. Oneof field 'expiration' is already set. Cannot set ` +
        `'${"expireTime" in body ? "expireTime" : "expire_time"}'`,
    );
  }
  if (ttl !== undefined) {
    const ms = typeof ttl === "string" ? parseDuration(ttl) : undefined;
    if (ms === undefined) {
      throw invalidArgument(
        `Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(ttl)}`,
      );
    }
    return now + ms;
  }
  if (expireTime !== undefined) {
    const ms = typeof expireTime === "string" && /^\d{4}-\d\d-\d\dT/.test(expireTime) ? Date.parse(expireTime) : NaN;
    if (Number.isNaN(ms)) {
      throw invalidArgument(
        `Invalid value at 'cached_content.expire_time' (type.googleapis.com/google.protobuf.Timestamp), ` +
          `${JSON.stringify(expireTime)}`,
      );
    }
    return ms;
  }
  return undefined;
}

function newCacheId(): string {
  return randomBytes(12).toString("hex").slice(0, 16);
}

function cacheFromPath(context: RequestContext): CachedContent {
  const cache = context.state.caches.find(`cachedContents/${decodeURIComponent(context.params[0] ?? "")}`);
  if (!cache) throw permissionDenied(CACHE_NOT_FOUND);
  return cache;
}

/** `POST /v1beta/cachedContents` */
export function createCache(context: RequestContext): Reply {
  const { clock, files, caches, options } = context.state;
  const body = context.json();
  rejectUnknownFields(body, FIELDS, { protoNames: true });
  if (typeof body.model !== "string" || body.model === "")
    throw invalidArgument("* CreateCachedContentRequest.cached_content.model: model is required");
  const model = resolveModel(body.model, "chat", "createCachedContent");
  const now = clock.now();
  const expireTime = expiry(body, now) ?? now + DEFAULT_TTL_MS;
  const contents = body.contents === undefined ? [] : body.contents;
  if (!Array.isArray(contents)) throw invalidValue("cached_content.contents", "object", contents);
  const pieces = contents.map((content, i) => contentText(content, `cached_content.contents[${i}]`, files));
  const system = protoField(body, "system_instruction");
  const systemPiece =
    system === undefined ? { text: "", tokens: 0 } : contentText(system, "cached_content.system_instruction", files);
  const tools = body.tools;
  const toolTokens = tools === undefined ? 0 : estimateTokens(JSON.stringify(tools));
  const totalTokens = pieces.reduce((sum, piece) => sum + piece.tokens, 0) + systemPiece.tokens + toolTokens;
  const minimum = minCacheTokens(model.id, options);
  if (totalTokens < minimum) {
    throw invalidArgument(
      `Cached content is too small. total_token_count=${totalTokens}, min_total_token_count=${minimum}`,
    );
  }
  const displayName = protoField(body, "display_name");
  const cache: CachedContent = {
    id: newCacheId(),
    model: model.id,
    ...(typeof displayName === "string" ? { displayName } : {}),
    createTime: now,
    updateTime: now,
    expireTime,
    totalTokens,
    systemText: systemPiece.text,
    contentsText: pieces.map((piece) => piece.text).join("\n\n"),
  };
  caches.add(cache);
  return json(toJson(cache, clock));
}

/** `GET /v1beta/cachedContents/{id}` — 403 when missing or expired, like the real API. */
export function getCache(context: RequestContext): Reply {
  return json(toJson(cacheFromPath(context), context.state.clock));
}

/** `GET /v1beta/cachedContents?pageSize=&pageToken=` — `{}` when there are none. */
export function listCaches(context: RequestContext): Reply {
  const { caches, clock } = context.state;
  return json(
    paginate("cachedContents", caches.list(), context.query, { pageSize: 100, max: 1_000 }, (cache) =>
      toJson(cache, clock),
    ),
  );
}

/** `PATCH /v1beta/cachedContents/{id}?updateMask=ttl` — only the expiration can change. */
export function updateCache(context: RequestContext): Reply {
  const cache = cacheFromPath(context);
  const body = context.json();
  rejectUnknownFields(body, [...FIELDS, "name"], { protoNames: true });
  const mask = (
    context.query.updateMask ??
    context.query.update_mask ??
    Object.keys(body)
      .filter((key) => key !== "name")
      .join(",")
  )
    .split(",")
    .map((field) => field.trim())
    .filter((field) => field !== "");
  const unsupported = mask.filter((field) => !["ttl", "expireTime", "expire_time"].includes(field));
  if (unsupported.length > 0 || mask.length === 0) {
    throw invalidArgument(`Only ttl or expire_time can be updated; update_mask was ${JSON.stringify(mask.join(","))}.`);
  }
  const picked: JsonObject = {};
  for (const field of mask) {
    const value = field === "ttl" ? body.ttl : protoField(body, "expire_time");
    if (value !== undefined) picked[field === "ttl" ? "ttl" : "expire_time"] = value;
  }
  const now = context.state.clock.now();
  const expireTime = expiry(picked, now);
  if (expireTime !== undefined) cache.expireTime = expireTime;
  cache.updateTime = now;
  return json(toJson(cache, context.state.clock));
}

/** `DELETE /v1beta/cachedContents/{id}` → `{}` */
export function deleteCache(context: RequestContext): Reply {
  const cache = cacheFromPath(context);
  context.state.caches.delete(cache.id);
  return json({});
}
