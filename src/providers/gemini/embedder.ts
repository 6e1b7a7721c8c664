import { ConfigError, ProviderError } from "../../errors.js";
import { fitVector } from "../fit-vector.js";
import type { RetryNotice } from "../retry.js";
import type {
  EmbedCallOptions,
  Embedder,
  EmbedderLimits,
  EmbeddingConfig,
  EmbeddingPairing,
  EmbedResult,
  MediaInput,
} from "../types.js";
import type { CallOptions, GeminiClient } from "./client.js";
import {
  applyForm,
  bareModelName,
  embeddingModels,
  plainPairing,
  unknownEmbeddingModel,
  usesTaskTypes,
} from "./models.js";

export interface GeminiEmbedderOptions {
  /** @default "gemini-embedding-001" */
  model?: string;
  /** Output size; vectors are truncated and re-normalised to it. @default 768 */
  dimensions?: number;
  /**
   * How documents and queries are embedded, instead of the model's own pairing, e.g. the one an
   * existing index recorded. A pairing with task types needs the native endpoints: without them
   * it is a ConfigError (NO_NATIVE_API), never silently another pairing. @default the model's (see embeddingModels)
   */
  pairing?: EmbeddingPairing;
  /**
   * Whether the model's default pairing may use task types (gemini-embedding-001:
   * RETRIEVAL_DOCUMENT + title / RETRIEVAL_QUERY). false, or a base URL without Gemini's native
   * endpoints, embeds both sides as plain text instead. Ignored when `pairing` is given. @default true
   */
  taskTypes?: boolean;
}

export const defaultEmbeddingModel = "gemini-embedding-001";

/** Gemini Embedding 2 embeds PNG and JPEG images only (https://ai.google.dev/gemini-api/docs/embeddings). */
const EMBEDDABLE_IMAGE_TYPES = new Set(["image/png", "image/jpeg"]);

/**
 * The image as Embedding 2 takes it: PNG and JPEG as they are, others (WebP, HEIC) re-encoded as
 * PNG, or undefined when they cannot be decoded here (then the caption alone is embedded).
 */
async function embeddableImage(media: MediaInput): Promise<MediaInput | undefined> {
  if (EMBEDDABLE_IMAGE_TYPES.has(media.mimeType)) return media;
  try {
    const { default: sharp } = await import("sharp");
    return { mimeType: "image/png", data: new Uint8Array(await sharp(media.data, { pages: 1 }).png().toBuffer()) };
  } catch {
    // No decoder for it (sharp's prebuilt libvips has no HEVC, so no HEIC): caption only, by design.
    return undefined;
  }
}
export const defaultDimensions = 768;

/**
 * The pairing an embedder uses: the one asked for (task types refused without native endpoints),
 * else the model's, with plain text on both sides where task types are off or unavailable.
 */
function resolvePairing(
  client: GeminiClient,
  info: EmbeddingPairing,
  options: GeminiEmbedderOptions,
): EmbeddingPairing {
  if (options.pairing) {
    if (usesTaskTypes(options.pairing) && !client.hasNative) {
      throw new ConfigError(
        `Task types (${options.pairing.document.value ?? "none"} / ${options.pairing.query.value ?? "none"}) ` +
          `exist only on Gemini's native endpoints, which the service at ${client.endpoints.compat} does not offer.`,
        { code: "NO_NATIVE_API", data: { feature: "task types", baseURL: client.endpoints.compat } },
      );
    }
    return { document: options.pairing.document, query: options.pairing.query };
  }
  if (usesTaskTypes(info) && (!client.hasNative || options.taskTypes === false)) return plainPairing;
  return { document: info.document, query: info.query };
}

/**
 * Gemini embeddings under one documented pairing (see `embeddingModels`): with task types
 * (gemini-embedding-001 where the base URL has native endpoints), documents go through native
 * `batchEmbedContents` as RETRIEVAL_DOCUMENT with their title and a query through `embedContent`
 * as RETRIEVAL_QUERY; otherwise both go through the compat `/embeddings` endpoint (plain, or with
 * Embedding 2's text prefixes). Either way ≤ 100 inputs per request, the output size sent and the
 * returned length checked, and the same quota-aware retries.
 */
export function createGeminiEmbedder(client: GeminiClient, options: GeminiEmbedderOptions = {}): Embedder {
  const model = bareModelName(options.model ?? defaultEmbeddingModel);
  const info = embeddingModels[model] ?? unknownEmbeddingModel;
  const dimensions = options.dimensions ?? defaultDimensions;
  if (!Number.isInteger(dimensions) || dimensions < info.minDimensions || dimensions > info.maxDimensions) {
    const expected = `an integer from ${info.minDimensions} to ${info.maxDimensions} for ${model}`;
    throw new ConfigError(`dimensions must be ${expected}, got ${dimensions}.`, {
      code: "INVALID_OPTION",
      data: { option: "dimensions", expected, got: String(dimensions) },
    });
  }
  const { document, query } = resolvePairing(client, info, options);
  const config: EmbeddingConfig = { provider: "gemini", model, dimensions, document, query };
  const limits: EmbedderLimits = {
    maxInputsPerRequest: 100,
    // Gemini Embedding 2 takes at most 6 images per request (https://ai.google.dev/gemini-api/docs/embeddings).
    ...(info.multimodal ? { maxMediaPerRequest: 6 } : {}),
    maxInputTokens: info.maxInputTokens,
    // Keeps one request well under the 20 MB payload limit and the per-request deadline.
    maxRequestTokens: 100 * Math.min(info.maxInputTokens, 2048),
    // Each input of a batch counts as one request against the RPM and RPD quotas: free-tier
    // users see `limit: 1000` requests a day used up by 1,000 inputs, whatever the batching.
    inputsCountAsRequests: true,
  };

  async function embedCompat(
    inputs: string[],
    callOptions: EmbedCallOptions,
    operation: string,
  ): Promise<Float32Array[]> {
    const response = await client.call(
      operation,
      (_attempt, scoped) =>
        client.openai.embeddings.create(
          { model, input: inputs, encoding_format: "float", dimensions },
          { signal: scoped },
        ),
      callOptions.signal,
      quotaAware(inputs.length, callOptions),
    );
    const data = response.data ?? [];
    if (data.length !== inputs.length) {
      throw new ProviderError(`${operation}: sent ${inputs.length} inputs, got ${data.length} vectors back.`, {
        operation,
      });
    }
    const ordered = new Array<Float32Array>(inputs.length);
    data.forEach((item, position) => {
      const index = typeof item.index === "number" ? item.index : position;
      if (index < 0 || index >= inputs.length || ordered[index]) {
        throw new ProviderError(`${operation}: the reply's vector indexes do not match the ${inputs.length} inputs.`, {
          operation,
        });
      }
      ordered[index] = fitVector(item.embedding, dimensions, `${operation} (${model})`);
    });
    return ordered;
  }

  /** Native batchEmbedContents with a task type (and, for RETRIEVAL_DOCUMENT, each text's title). */
  async function embedNative(
    texts: string[],
    taskType: string,
    callOptions: EmbedCallOptions & { titles?: (string | undefined)[] },
  ): Promise<EmbedResult> {
    const requests = texts.map((text, i) => {
      // A title applies to RETRIEVAL_DOCUMENT only (https://ai.google.dev/api/embeddings).
      const title = taskType === "RETRIEVAL_DOCUMENT" ? callOptions.titles?.[i]?.trim() : undefined;
      return {
        model: `models/${model}`,
        content: { parts: [{ text }] },
        taskType,
        ...(title ? { title } : {}),
        outputDimensionality: dimensions,
      };
    });
    const { body } = await client.call(
      "embeddings",
      (_attempt, scoped) =>
        client.native<{ embeddings?: Array<{ values?: number[] }>; usageMetadata?: { promptTokenCount?: number } }>(
          "embeddings",
          { path: `models/${model}:batchEmbedContents`, body: { requests }, signal: scoped },
        ),
      callOptions.signal,
      quotaAware(texts.length, callOptions),
    );
    const embeddings = body.embeddings ?? [];
    if (embeddings.length !== texts.length) {
      throw new ProviderError(`embeddings: sent ${texts.length} inputs, got ${embeddings.length} vectors back.`, {
        operation: "embeddings",
      });
    }
    const tokens = body.usageMetadata?.promptTokenCount;
    return {
      vectors: embeddings.map((embedding) => fitVector(embedding.values ?? [], dimensions, `embeddings (${model})`)),
      ...(tokens === undefined ? {} : { tokens }),
    };
  }

  /**
   * Native batchEmbedContents with the media bytes and their text as parts of one content, which
   * Gemini Embedding 2 turns into one combined vector.
   */
  async function embedMedia(
    items: Array<{ media: MediaInput; text: string; title?: string }>,
    callOptions: EmbedCallOptions = {},
  ): Promise<EmbedResult> {
    if (items.length > (limits.maxMediaPerRequest ?? 0)) {
      throw new ProviderError(
        `embedMedia takes at most ${limits.maxMediaPerRequest} items per call, got ${items.length}.`,
      );
    }
    const requests = await Promise.all(
      items.map(async (item) => {
        const media = await embeddableImage(item.media);
        const text = { text: applyForm(config.document, item.text, item.title) };
        return {
          model: `models/${model}`,
          content: {
            // An image the model cannot take is embedded by its caption alone.
            parts: media
              ? [{ inline_data: { mime_type: media.mimeType, data: Buffer.from(media.data).toString("base64") } }, text]
              : [text],
          },
          outputDimensionality: dimensions,
        };
      }),
    );
    const { body } = await client.call(
      "media embedding",
      (_attempt, scoped) =>
        client.native<{ embeddings?: Array<{ values?: number[] }> }>("media embedding", {
          path: `models/${model}:batchEmbedContents`,
          body: { requests },
          signal: scoped,
        }),
      callOptions.signal,
      quotaAware(items.length, callOptions),
    );
    const embeddings = body.embeddings ?? [];
    if (embeddings.length !== items.length) {
      throw new ProviderError(`media embedding: sent ${items.length} items, got ${embeddings.length} vectors back.`, {
        operation: "media embedding",
      });
    }
    return {
      vectors: embeddings.map((embedding) =>
        fitVector(embedding.values ?? [], dimensions, `media embedding (${model})`),
      ),
    };
  }

  return {
    config,
    limits,
    pricing: info.pricing,
    ...(info.multimodal && client.hasNative ? { embedMedia } : {}),
    async embedDocuments(
      texts: string[],
      callOptions: EmbedCallOptions & { titles?: (string | undefined)[] } = {},
    ): Promise<EmbedResult> {
      if (texts.length === 0) return { vectors: [] };
      if (texts.length > limits.maxInputsPerRequest) {
        throw new ProviderError(
          `embedDocuments takes at most ${limits.maxInputsPerRequest} inputs per call, got ${texts.length}.`,
        );
      }
      if (config.document.kind === "task-type") return embedNative(texts, config.document.value!, callOptions);
      const inputs = texts.map((text, i) => applyForm(config.document, text, callOptions.titles?.[i]));
      return { vectors: await embedCompat(inputs, callOptions, "embeddings") };
    },
    async embedQuery(text: string, callOptions: EmbedCallOptions = {}): Promise<Float32Array> {
      if (config.query.kind !== "task-type") {
        const [vector] = await embedCompat([applyForm(config.query, text)], callOptions, "query embedding");
        return vector!;
      }
      const { body } = await client.call(
        "query embedding",
        (_attempt, scoped) =>
          client.native<{ embedding?: { values?: number[] } }>("query embedding", {
            path: `models/${model}:embedContent`,
            body: { content: { parts: [{ text }] }, taskType: config.query.value, outputDimensionality: dimensions },
            signal: scoped,
          }),
        callOptions.signal,
        quotaAware(1, callOptions),
      );
      const values = body.embedding?.values;
      if (!values)
        throw new ProviderError("query embedding: the reply holds no embedding.", { operation: "query embedding" });
      return fitVector(values, dimensions, `query embedding (${model})`);
    },
  };
}

/**
 * Retry options for a request of `inputs` inputs: a 429 for a per-minute quota the request can
 * never pass (more inputs than the requests-per-minute limit, or more than 90% of the
 * tokens-per-minute limit by the caller's estimate, leaving room for the service counting a
 * little more) is thrown for the caller to split the request, not waited out.
 */
function quotaAware(inputs: number, options: EmbedCallOptions): CallOptions {
  const { onRateLimited, onRetryWait } = options;
  return {
    stop: options.stop,
    retryIf: (error) => {
      const quota = error.quota;
      if (error.status !== 429 || quota?.window !== "minute" || quota.limit === undefined) return true;
      if (quota.unit === "requests") return inputs <= quota.limit;
      return options.tokens === undefined || options.tokens <= 0.9 * quota.limit;
    },
    ...(onRateLimited || onRetryWait
      ? {
          onRetry: (notice: RetryNotice) => {
            if (notice.error.status === 429) onRateLimited?.(notice.error);
            onRetryWait?.({ delayMs: notice.delayMs, resumed: notice.resumed, error: notice.error });
          },
        }
      : {}),
  };
}
