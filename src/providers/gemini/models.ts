import type { EmbeddingForm } from "../types.js";

/** What we know about an embedding model: its input limit and how documents and queries are phrased. */
export interface EmbeddingModelInfo {
  /** Tokens per input. */
  maxInputTokens: number;
  /** Output sizes the model accepts. */
  minDimensions: number;
  maxDimensions: number;
  document: EmbeddingForm;
  query: EmbeddingForm;
  /** Embeds images and audio natively (`inline_data`). */
  multimodal: boolean;
  /** List prices (USD per million input tokens) as published in 2025–2026; estimates only. */
  pricing?: { usdPerMillionTokens: number; batchUsdPerMillionTokens: number };
}

/**
 * Known Gemini embedding models (GEMINI.md §1.2). gemini-embedding-001 takes task types only on
 * the native endpoint, so queries go there with RETRIEVAL_QUERY, while documents go through the
 * compat endpoint (plain text), which is also what the Batch API accepts. gemini-embedding-2
 * takes no task type; Google asks for text prefixes instead, which work everywhere.
 */
export const embeddingModels: Record<string, EmbeddingModelInfo> = {
  "gemini-embedding-001": {
    maxInputTokens: 2048,
    minDimensions: 128,
    maxDimensions: 3072,
    document: { kind: "plain" },
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

/** Fills a prefix template (`{title}`, `{content}`). */
export function applyForm(form: EmbeddingForm, content: string, title?: string): string {
  if (form.kind !== "prefix" || !form.value) return content;
  return form.value.replace("{title}", () => title?.trim() || "none").replace("{content}", () => content);
}
