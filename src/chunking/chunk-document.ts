import type { LoadedDocument } from "../loaders/types.js";
import type { Chunk, ChunkOptions } from "./types.js";
import { CODE_LEVELS, TEXT_LEVELS, chunkPlain } from "./chunk-plain.js";
import { chunkMarkdown } from "./chunk-markdown.js";
import { resolveChunkOptions } from "./resolve-chunk-options.js";

/**
 * Cuts a loaded document into chunks for embedding, by kind: heading-aware for Markdown,
 * declaration-aware for code, recursive with overlap for text, page by page for PDFs (a chunk
 * never spans two pages). Other kinds are chunked as text.
 *
 * Every chunk has non-blank text, `ordinal` 0…n-1 in document order, `tokens` equal to
 * `countTokens(text)`, `lineStart`/`lineEnd` (1-based, inclusive, file lines) for text formats
 * or `page` for PDFs, and at most `maxTokens` tokens — except a Markdown code fence kept
 * whole, or a single table row with its repeated header, which may reach
 * `max(2048, maxTokens)`.
 *
 * @throws ConfigError for impossible options (see `resolveChunkOptions`).
 * @example
 * const chunks = chunkDocument(await loadDocument(file), { maxTokens: 512, overlapTokens: 64 });
 */
export function chunkDocument(document: LoadedDocument, options?: ChunkOptions): Chunk[] {
  const settings = resolveChunkOptions(options);
  const drafts =
    document.kind === "markdown"
      ? chunkMarkdown(document.sections, settings)
      : chunkPlain(document.sections, document.kind === "code" ? CODE_LEVELS : TEXT_LEVELS, settings);
  return drafts.map((draft, ordinal) => ({ ordinal, ...draft }));
}
