/** The route table: compat routes under /v1beta/openai/, native ones under /v1beta, /upload, /download. */
import { cancelBatch, createBatch, listBatches, retrieveBatch } from "./batches-routes.js";
import { createCache, deleteCache, getCache, listCaches, updateCache } from "./caches.js";
import { chatCompletions } from "./chat/route.js";
import { batchEmbedContents, compatEmbeddings, embedContent } from "./embeddings.js";
import { deleteFile, downloadFile, getFile, listFiles, upload } from "./files-routes.js";
import { getCompatModel, getNativeModel, listCompatModels, listNativeModels } from "./models.js";
import {
  asyncBatchEmbedContent,
  batchGenerateContent,
  cancelNativeBatch,
  deleteNativeBatch,
  getNativeBatch,
  listNativeBatches,
} from "./native-batches.js";
import { generateContent } from "./native-generate.js";
import type { Route } from "./route.js";

const compat = (method: string, pattern: RegExp, handler: Route["handler"]): Route => ({
  method,
  pattern,
  surface: "compat",
  auth: "compat",
  handler,
});
const native = (method: string, pattern: RegExp, handler: Route["handler"]): Route => ({
  method,
  pattern,
  surface: "native",
  auth: "native",
  handler,
});

export const ROUTES: readonly Route[] = [
  compat("POST", /^\/v1beta\/openai\/chat\/completions$/, chatCompletions),
  compat("POST", /^\/v1beta\/openai\/embeddings$/, compatEmbeddings),
  compat("GET", /^\/v1beta\/openai\/models$/, listCompatModels),
  compat("GET", /^\/v1beta\/openai\/models\/(.+)$/, getCompatModel),
  compat("POST", /^\/v1beta\/openai\/batches$/, createBatch),
  compat("GET", /^\/v1beta\/openai\/batches$/, listBatches),
  compat("POST", /^\/v1beta\/openai\/batches\/(.+)\/cancel$/, cancelBatch),
  compat("GET", /^\/v1beta\/openai\/batches\/(.+)$/, retrieveBatch),

  { method: "POST", pattern: /^\/upload\/v1beta\/files$/, surface: "native", auth: "none", handler: upload },
  native("GET", /^\/download\/v1beta\/files\/([^/:]+):download$/, downloadFile),
  native("GET", /^\/v1beta\/files\/([^/:]+):download$/, downloadFile),
  native("GET", /^\/v1beta\/files$/, listFiles),
  native("GET", /^\/v1beta\/files\/([^/:]+)$/, getFile),
  native("DELETE", /^\/v1beta\/files\/([^/:]+)$/, deleteFile),
  native("POST", /^\/v1beta\/cachedContents$/, createCache),
  native("GET", /^\/v1beta\/cachedContents$/, listCaches),
  native("GET", /^\/v1beta\/cachedContents\/([^/]+)$/, getCache),
  native("PATCH", /^\/v1beta\/cachedContents\/([^/]+)$/, updateCache),
  native("DELETE", /^\/v1beta\/cachedContents\/([^/]+)$/, deleteCache),
  native("POST", /^\/v1beta\/models\/([^/:]+):embedContent$/, embedContent),
  native("POST", /^\/v1beta\/models\/([^/:]+):batchEmbedContents$/, batchEmbedContents),
  native("POST", /^\/v1beta\/models\/([^/:]+):generateContent$/, generateContent),
  native("POST", /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/, batchGenerateContent),
  native("POST", /^\/v1beta\/models\/([^/:]+):asyncBatchEmbedContent$/, asyncBatchEmbedContent),
  native("GET", /^\/v1beta\/batches$/, listNativeBatches),
  native("GET", /^\/v1beta\/batches\/([^/:]+)$/, getNativeBatch),
  native("POST", /^\/v1beta\/batches\/([^/:]+):cancel$/, cancelNativeBatch),
  native("DELETE", /^\/v1beta\/batches\/([^/:]+)$/, deleteNativeBatch),
  native("GET", /^\/v1beta\/models$/, listNativeModels),
  native("GET", /^\/v1beta\/models\/([^/:]+)$/, getNativeModel),
];

/** The route for a request; `:` may arrive percent-encoded. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  const normalized = path.replace(/%3A/gi, ":");
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(normalized);
    if (match) return { route, params: match.slice(1) };
  }
  return undefined;
}
