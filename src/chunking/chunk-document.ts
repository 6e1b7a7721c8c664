import type { DocumentSection, LoadedDocument } from "../loaders/types.js";
import { capDraft } from "./cap-draft.js";
import { chunkMarkdown } from "./chunk-markdown.js";
import { CODE_LEVELS, chunkPlain, TEXT_LEVELS } from "./chunk-plain.js";
import { chunkRows } from "./chunk-rows.js";
import { type ChunkDraft, type ChunkSettings, resolveChunkOptions } from "./resolve-chunk-options.js";
import type { Chunk, ChunkOptions } from "./types.js";

/**
 * Cuts a loaded document into chunks for embedding, by kind: heading-aware for Markdown and
 * for HTML and Word documents (loaded as Markdown-like text), declaration-aware for code,
 * whole rows for spreadsheets (a chunk never spans two sheets), recursive with overlap for
 * text, page by page for PDFs (a chunk never spans two pages). Images and audio have no text
 * and give no chunks.
 *
 * Every chunk has non-blank text, `ordinal` 0…n-1 in document order, `tokens` equal to
 * `countTokens(text)`, and its place: `lineStart`/`lineEnd` (1-based, inclusive, file lines;
 * spreadsheet rows) for text formats, `page` for PDFs, `location` for sheets, and none but its
 * heading path for HTML and Word. A chunk has at most `maxTokens` tokens — except a Markdown
 * code fence kept whole, a table row with its repeated header, or a spreadsheet row, which may
 * reach `maxInputTokens` — and never more than `maxInputTokens`.
 *
 * @throws ConfigError for impossible options (see `resolveChunkOptions`).
 * @example
 * const chunks = chunkDocument(await loadDocument(file), { maxTokens: 512, overlapTokens: 64, maxInputTokens:
 * embedder.limits.maxInputTokens });
 */
export function chunkDocument(document: LoadedDocument, options?: ChunkOptions): Chunk[] {
  const settings = resolveChunkOptions(options);
  return draftsFor(document, settings)
    .flatMap((draft) => capDraft(draft, settings.hardCapTokens))
    .map((draft, ordinal) => ({ ordinal, ...draft }));
}

function draftsFor(document: LoadedDocument, settings: ChunkSettings): ChunkDraft[] {
  switch (document.kind) {
    case "markdown":
    case "html":
    case "docx":
      return chunkMarkdown(document.sections, settings);
    case "xlsx":
      return chunkRows(document.sections, settings);
    case "code":
      return chunkPlain(document.sections, CODE_LEVELS, settings);
    default:
      return chunkPlain(document.sections, TEXT_LEVELS, settings);
  }
}

/**
 * {@link chunkDocument} for a document whose sections arrive one at a time (a text file
 * streamed window by window): a chunk never spans two sections, so each is chunked as
 * chunkDocument chunks it, and ordinals run on across sections — the same chunks, never all
 * held at once.
 */
export async function* chunkSections(
  document: LoadedDocument,
  sections: AsyncIterable<DocumentSection>,
  options?: ChunkOptions,
): AsyncGenerator<Chunk> {
  resolveChunkOptions(options);
  let ordinal = 0;
  for await (const section of sections) {
    for (const chunk of chunkDocument({ ...document, sections: [section] }, options))
      yield { ...chunk, ordinal: ordinal++ };
  }
}
