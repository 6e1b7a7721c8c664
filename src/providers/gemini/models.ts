import type { EmbeddingForm, EmbeddingPairing, ServiceModel } from "../types.js";
import type { GeminiClient } from "./client.js";

/** What we know about an embedding model: its input limit and how documents and queries are phrased. */
export interface EmbeddingModelInfo extends EmbeddingPairing {
  /** Tokens per input. */
  maxInputTokens: number;
  /** Output sizes the model accepts. */
  minDimensions: number;
  maxDimensions: number;
  /** Embeds images and audio natively (`inline_data`). */
  multimodal: boolean;
  /** List prices (USD per million input tokens) as published in 2025–2026; estimates only. */
  pricing?: { usdPerMillionTokens: number; batchUsdPerMillionTokens: number };
}

/** Plain text on both sides: the default task type, the only form the compat endpoint carries. */
export const plainPairing: EmbeddingPairing = { document: { kind: "plain" }, query: { kind: "plain" } };

/**
 * Known Gemini embedding models and the pairing each is embedded under by default, the same in
 * every path (sync, Batch API, images). gemini-embedding-001 uses the retrieval pairing Google
 * documents (https://ai.google.dev/gemini-api/docs/embeddings, "Task types"): documents as
 * RETRIEVAL_DOCUMENT with their title, queries as RETRIEVAL_QUERY — task types exist only on the
 * native endpoints (batchEmbedContents, embedContent, asyncBatchEmbedContent), so where the base
 * URL has none (another OpenAI-compatible server) both sides are plain text instead (see
 * `plainPairing`). gemini-embedding-2 takes no task type; Google asks for text prefixes instead,
 * which work everywhere.
 */
export const embeddingModels: Record<string, EmbeddingModelInfo> = {
  "gemini-embedding-001": {
    maxInputTokens: 2048,
    minDimensions: 128,
    maxDimensions: 3072,
    document: { kind: "task-type", value: "RETRIEVAL_DOCUMENT" },
    query: { kind: "task-type", value: "RETRIEVAL_QUERY" },
    multimodal: false,
    pricing: { usdPerMillionTokens: 0.15, batchUsdPerMillionTokens: 0.075 },
  },
  "gemini-embedding-2-preview": {
    maxInputTokens: 8192,
    minDimensions: 128,
    maxDimensions: 3072,
    document: { kind: "prefix", value: "title: {title} | text: {content}" },
    query: { kind: "prefix", value: "task: search result | query: {content}" },
    multimodal: true,
    pricing: { usdPerMillionTokens: 0.2, batchUsdPerMillionTokens: 0.1 },
  },
};
embeddingModels["gemini-embedding-2"] = embeddingModels["gemini-embedding-2-preview"]!;

/** Used for models we do not know (another OpenAI-compatible server): plain text both ways. */
export const unknownEmbeddingModel: EmbeddingModelInfo = {
  maxInputTokens: 2048,
  minDimensions: 1,
  maxDimensions: 65_536,
  document: { kind: "plain" },
  query: { kind: "plain" },
  multimodal: false,
};

/** The model name without the `models/` prefix the service sometimes adds. */
export function bareModelName(model: string): string {
  return model.replace(/^models\//, "");
}

/** True when either side of a pairing needs a native task type. */
export function usesTaskTypes(pairing: EmbeddingPairing): boolean {
  return pairing.document.kind === "task-type" || pairing.query.kind === "task-type";
}

/** Fills a prefix template (`{title}`, `{content}`). */
export function applyForm(form: EmbeddingForm, content: string, title?: string): string {
  if (form.kind !== "prefix" || !form.value) return content;
  return form.value.replace("{title}", () => title?.trim() || "none").replace("{content}", () => content);
}

interface NativeModel {
  name?: string;
  displayName?: string;
  inputTokenLimit?: number;
  outputTokenLimit?: number;
  supportedGenerationMethods?: string[];
}

function kindOf(id: string, methods: string[] | undefined): ServiceModel["kind"] {
  if (methods === undefined) return /embed/i.test(id) ? "embedding" : "chat";
  if (methods.some((method) => /embed/i.test(method))) return "embedding";
  if (methods.includes("generateContent")) return "chat";
  return "other";
}

/**
 * The models the key can use: the native list (`GET models`, with token limits and
 * `supportedGenerationMethods`, every page) where the endpoint has it, else the compat list
 * (ids only; the kind is then guessed from the id).
 */
export async function listServiceModels(client: GeminiClient, signal?: AbortSignal): Promise<ServiceModel[]> {
  if (!client.hasNative) {
    const page = await client.call(
      "model list",
      (_attempt, scoped) => client.openai.models.list({ signal: scoped }),
      signal,
    );
    return page.data.map((model) => {
      const id = bareModelName(model.id);
      return { id, kind: kindOf(id, undefined) };
    });
  }
  const models: ServiceModel[] = [];
  let pageToken: string | undefined;
  do {
    const query = `models?pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`;
    const { body } = await client.call(
      "model list",
      (_attempt, scoped) =>
        client.native<{ models?: NativeModel[]; nextPageToken?: string }>("model list", {
          method: "GET",
          path: query,
          signal: scoped,
        }),
      signal,
    );
    for (const model of body.models ?? []) {
      if (!model.name) continue;
      const id = bareModelName(model.name);
      const methods = model.supportedGenerationMethods;
      models.push({
        id,
        kind: kindOf(id, methods),
        ...(model.displayName ? { displayName: model.displayName } : {}),
        ...(model.inputTokenLimit ? { inputTokenLimit: model.inputTokenLimit } : {}),
        ...(model.outputTokenLimit ? { outputTokenLimit: model.outputTokenLimit } : {}),
        ...(methods ? { methods } : {}),
      });
    }
    pageToken = body.nextPageToken || undefined;
  } while (pageToken);
  return models;
}
