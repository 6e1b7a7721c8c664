import {
  AuthenticationError,
  ConfigError,
  IndexDamagedError,
  isAbort,
  noIndexError,
  ProviderError,
  toErrorInfo,
} from "../errors.js";
import type { Notice } from "../notices.js";
import type { Embedder } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import type { ChunkMatch } from "../store/types.js";
import { displayPath, formatCitation } from "./citation.js";
import { filterToWhere } from "./filter.js";
import type { Hit, SearchMode, SearchOptions, SearchResult } from "./types.js";

export interface RetrieveContext {
  store: Store;
  /** Absent without an API key: only lexical search is possible. */
  embedder?: Embedder;
  cwd: string;
  /**
   * Told when the model API failed to embed the query (the search went on lexically): an answer
   * after it would fail the same way for the same reason.
   */
  onModelUnavailable?: (error: ProviderError) => void;
  /**
   * The model API already failed this way (the chat model could not be reached): the query is
   * not embedded, the search is lexical, with the same notice as when embedding it fails.
   */
  modelUnavailable?: ProviderError;
}

/** The constant of reciprocal-rank fusion (Cormack et al.): rank r contributes 1 / (60 + r). */
const rrfK = 60;

/**
 * Ranks the index's chunks for `query`. Vector search embeds the query in the model's query
 * form; lexical search uses the BM25 full-text index; hybrid fuses both lists by reciprocal rank.
 * Without an API key, or on a lexical-only index, every mode becomes lexical with a notice; so
 * does a search whose query the model API cannot embed (unreachable, out of quota, failing):
 * the passages full-text search finds are still worth showing.
 */
export async function retrieve(
  query: string,
  context: RetrieveContext,
  options: SearchOptions = {},
): Promise<SearchResult> {
  if (!context.store.exists) {
    // Maybe another process created it since this handle was opened.
    await context.store.refresh();
    if (!context.store.exists) throw noIndexError(context.store.uri);
  }
  const chunksDamage = context.store.damage.filter((damage) => damage.table === "chunks");
  if (chunksDamage.length > 0) throw new IndexDamagedError(context.store.uri, chunksDamage);
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1)
    throw new ConfigError(`k must be a positive integer, got ${k}.`, {
      code: "INVALID_OPTION",
      data: { option: "k", expected: "a positive integer", got: String(k) },
    });
  const notices: Notice[] = [];
  const vectorsAvailable =
    (context.embedder !== undefined || options.vector !== undefined) && (await context.store.hasVectors());
  let mode: SearchMode = options.mode ?? (vectorsAvailable ? "hybrid" : "lexical");
  if (mode !== "lexical" && !vectorsAvailable) {
    notices.push(
      context.embedder
        ? {
            kind: "lexical-fallback",
            reason: "no-vectors",
            message: "This index has no vectors (it was built without an API key): using lexical (BM25) search.",
          }
        : { kind: "lexical-fallback", reason: "no-api-key", message: "No API key: using lexical (BM25) search." },
    );
    mode = "lexical";
  }
  const where = filterToWhere(options.filter, context.cwd, context.store.filterColumns());
  let queryVector = options.vector;
  if (mode !== "lexical" && !queryVector) {
    try {
      if (context.modelUnavailable) throw context.modelUnavailable;
      queryVector = await context.embedder!.embedQuery(query, { signal: options.signal });
    } catch (error) {
      // A rejected key is the caller's to fix, not a service that is down: it is thrown.
      if (!(error instanceof ProviderError) || error instanceof AuthenticationError || isAbort(error, options.signal))
        throw error;
      context.onModelUnavailable?.(error);
      notices.push({
        kind: "lexical-fallback",
        reason: "model-unavailable",
        error: toErrorInfo(error),
        message: `The query could not be embedded (${error.message}): using lexical (BM25) search.`,
      });
      mode = "lexical";
    }
  }
  if (mode !== "vector" && !context.store.hasTextIndex)
    notices.push({
      kind: "full-text-scan",
      message:
        "This index has no full-text index yet, so passages were found by scanning for the query's words; " +
        "optimizing the index (or the next index run) builds it.",
    });
  // Each list goes deeper than k so that fusion can promote a passage ranked lower by one engine.
  const depth = mode === "hybrid" ? Math.max(k * 2, 20) : k;
  // The two searches are independent: run them side by side.
  const [vectorMatches, textMatches] = await Promise.all([
    queryVector && mode !== "lexical"
      ? context.store.vectorSearch(queryVector, { k: depth, where })
      : Promise.resolve([] as ChunkMatch[]),
    mode === "vector" ? Promise.resolve([] as ChunkMatch[]) : context.store.textSearch(query, { k: depth, where }),
  ]);

  let ranked: Array<{ match: ChunkMatch; score: number; vector?: number; lexical?: number }>;
  if (mode === "vector")
    ranked = vectorMatches.map((match) => ({ match, score: 1 - match.distance!, vector: 1 - match.distance! }));
  else if (mode === "lexical")
    ranked = textMatches.map((match) => ({ match, score: match.bm25!, lexical: match.bm25! }));
  else ranked = fuse(vectorMatches, textMatches);

  const hits = ranked.slice(0, k).map(({ match, score, vector, lexical }, index): Hit => {
    const shown = displayPath(match.path, context.cwd);
    return {
      rank: index + 1,
      score,
      scores: { vector, lexical },
      path: match.path,
      displayPath: shown,
      citation: formatCitation(shown, match),
      kind: match.kind,
      text: match.text,
      headings: match.headings,
      page: match.page,
      lineStart: match.lineStart,
      lineEnd: match.lineEnd,
      location: match.location,
      chunkId: match.id,
    };
  });
  return { query, mode, hits, notices };
}

/** Reciprocal-rank fusion of the vector and BM25 lists. */
function fuse(
  vector: ChunkMatch[],
  text: ChunkMatch[],
): Array<{ match: ChunkMatch; score: number; vector?: number; lexical?: number }> {
  const fused = new Map<string, { match: ChunkMatch; score: number; vector?: number; lexical?: number }>();
  vector.forEach((match, index) => {
    fused.set(match.id, { match, score: 1 / (rrfK + index + 1), vector: 1 - match.distance! });
  });
  text.forEach((match, index) => {
    const entry = fused.get(match.id);
    if (entry) {
      entry.score += 1 / (rrfK + index + 1);
      entry.lexical = match.bm25;
    } else fused.set(match.id, { match, score: 1 / (rrfK + index + 1), lexical: match.bm25 });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
