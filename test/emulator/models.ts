/**
 * The model catalog, model-name resolution (404 for unknown ids) and the compat / native
 * model-listing routes (https://ai.google.dev/api/models).
 */
import { notFound } from "./errors.js";
import { json, type Reply, type RequestContext } from "./route.js";

export interface ModelInfo {
  /** Id without `models/`. */
  id: string;
  kind: "chat" | "embedding";
  displayName: string;
  inputTokenLimit: number;
  outputTokenLimit: number;
  /** Chat: Gemini generation (thinking rules differ between 2.5 and 3). */
  generation?: 2.5 | 3;
  /** Chat: thinking cannot be switched off (2.5 Pro, Gemini 3). */
  alwaysThinks?: boolean;
  /** Chat: thinking is off unless asked for (2.5 Flash-Lite). */
  thinksByDefault?: boolean;
  /** Chat: allowed `thinking_budget` range. */
  budgetRange?: [number, number];
  /** Embedding: accepts inline_data parts (images, audio, video, PDF). */
  multimodal?: boolean;
}

const chat = (id: string, displayName: string, extra: Partial<ModelInfo>): ModelInfo => ({
  id,
  kind: "chat",
  displayName,
  inputTokenLimit: 1_048_576,
  outputTokenLimit: 65_536,
  thinksByDefault: true,
  ...extra,
});

export const MODELS: readonly ModelInfo[] = [
  chat("gemini-3-flash-preview", "Gemini 3 Flash Preview", {
    generation: 3,
    alwaysThinks: true,
    budgetRange: [0, 24_576],
  }),
  chat("gemini-3-pro-preview", "Gemini 3 Pro Preview", {
    generation: 3,
    alwaysThinks: true,
    budgetRange: [128, 32_768],
  }),
  chat("gemini-2.5-flash", "Gemini 2.5 Flash", { generation: 2.5, budgetRange: [0, 24_576] }),
  chat("gemini-2.5-pro", "Gemini 2.5 Pro", { generation: 2.5, alwaysThinks: true, budgetRange: [128, 32_768] }),
  chat("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", {
    generation: 2.5,
    thinksByDefault: false,
    budgetRange: [512, 24_576],
  }),
  {
    id: "gemini-embedding-001",
    kind: "embedding",
    displayName: "Gemini Embedding 001",
    inputTokenLimit: 2_048,
    outputTokenLimit: 1,
  },
  {
    id: "gemini-embedding-2-preview",
    kind: "embedding",
    displayName: "Gemini Embedding 2 Preview",
    inputTokenLimit: 8_192,
    outputTokenLimit: 1,
    multimodal: true,
  },
];

export const DEFAULT_CHAT_MODEL = "gemini-3-flash-preview";

/**
 * Valid `reasoning_effort` per model. Gemini 3 follows the compat doc's table; the 2.5 lists follow
 * the real Jan 2026 error "Valid values are: high, low, medium, none" (2.5 Pro cannot turn thinking off).
 */
export const DEFAULT_REASONING_EFFORTS: Record<string, string[]> = {
  "gemini-3-flash-preview": ["minimal", "low", "medium", "high"],
  "gemini-3-pro-preview": ["minimal", "low", "medium", "high"],
  "gemini-2.5-flash": ["none", "low", "medium", "high"],
  "gemini-2.5-flash-lite": ["none", "low", "medium", "high"],
  "gemini-2.5-pro": ["low", "medium", "high"],
};

/** Valid `thinking_level` per Gemini 3 model (forum 112648: MEDIUM is refused on 3 Pro). */
export const DEFAULT_THINKING_LEVELS: Record<string, string[]> = {
  "gemini-3-flash-preview": ["minimal", "low", "medium", "high"],
  "gemini-3-pro-preview": ["low", "high"],
};

/** Minimum cachedContent sizes (https://ai.google.dev/api/caching): the 2025 and 2026 doc tables. */
export const CACHE_MIN_TOKENS: Record<"2025" | "2026", Record<string, number>> = {
  "2025": {
    "gemini-3-flash-preview": 1_024,
    "gemini-3-pro-preview": 4_096,
    "gemini-2.5-flash": 1_024,
    "gemini-2.5-flash-lite": 1_024,
    "gemini-2.5-pro": 4_096,
  },
  "2026": {
    "gemini-3-flash-preview": 4_096,
    "gemini-3-pro-preview": 4_096,
    "gemini-2.5-flash": 2_048,
    "gemini-2.5-flash-lite": 2_048,
    "gemini-2.5-pro": 2_048,
  },
};

/** "models/x" → "x". */
export function bareModelName(name: string): string {
  return name.startsWith("models/") ? name.slice("models/".length) : name;
}

export function findModel(name: string): ModelInfo | undefined {
  const id = bareModelName(name);
  return MODELS.find((model) => model.id === id);
}

/**
 * The model for a call, or 404 NOT_FOUND with Google's text.
 * @param method the Gemini method named in the error ("generateContent", "embedContent", …)
 */
export function resolveModel(name: string, kind: ModelInfo["kind"], method: string): ModelInfo {
  const model = findModel(name);
  if (!model || model.kind !== kind) {
    throw notFound(
      `models/${bareModelName(name)} is not found for API version v1beta, or is not supported for ${method}. ` +
        "Call ListModels to see the list of available models and their supported methods.",
    );
  }
  return model;
}

const CREATED = 1_735_689_600; // 2025-01-01: the compat list's `created` values were never seen (UNCONFIRMED).

function compatModel(model: ModelInfo): Record<string, unknown> {
  return { id: `models/${model.id}`, object: "model", created: CREATED, owned_by: "google" };
}

function nativeModel(model: ModelInfo): Record<string, unknown> {
  const methods =
    model.kind === "chat"
      ? ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
      : ["embedContent", "batchEmbedContents", "asyncBatchEmbedContent", "countTokens"];
  return {
    name: `models/${model.id}`,
    version: model.id.includes("preview") ? "preview" : "001",
    displayName: model.displayName,
    description: `${model.displayName} (emulated)`,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: methods,
    ...(model.kind === "chat" ? { thinking: true, temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2 } : {}),
  };
}

function modelFromPath(context: RequestContext, method: string): ModelInfo {
  const name = decodeURIComponent(context.params[0] ?? "");
  const model = findModel(name);
  if (!model)
    throw notFound(
      `models/${bareModelName(name)} is not found for API version v1beta, or is not supported for ${method}.`,
    );
  return model;
}

export function listCompatModels(): Reply {
  return json({ object: "list", data: MODELS.map(compatModel) });
}

export function getCompatModel(context: RequestContext): Reply {
  return json(compatModel(modelFromPath(context, "get")));
}

export function listNativeModels(): Reply {
  return json({ models: MODELS.map(nativeModel) });
}

export function getNativeModel(context: RequestContext): Reply {
  return json(nativeModel(modelFromPath(context, "get")));
}
