import { stat } from "node:fs/promises";
import path from "node:path";
import { ConfigError, isAbort } from "../errors.js";
import { loadDocument } from "../loaders/load-document.js";
import type { DocumentSection } from "../loaders/types.js";
import { toPosixPath } from "../sources/to-posix-path.js";
import type { Store } from "../store/open-store.js";
import type { ChunkMatch, DocumentRecord } from "../store/types.js";
import { displayPath, formatCitation } from "./citation.js";

/** Which part of a document to read. */
export interface ReadOptions {
  /** 1-based, inclusive line range (text, Markdown, code; rows for spreadsheets). */
  lines?: { start: number; end: number };
  /** 1-based page (PDF). */
  page?: number;
  /** Longer text is cut at a line boundary and `truncated` set. @default 40000 */
  maxChars?: number;
  signal?: AbortSignal;
}

/** The text of an indexed document, or of part of it, with the citation it can be quoted under. */
export interface DocumentText {
  /** Absolute path, as indexed. */
  path: string;
  displayPath: string;
  kind: string;
  title?: string;
  /** `guide.md:L10-L40`, `report.pdf:p3`, or the path when the whole document is given. */
  citation: string;
  text: string;
  page?: number;
  lineStart?: number;
  lineEnd?: number;
  /** Pages of a PDF, lines of a text document (as indexed), when known. */
  pages?: number;
  lines?: number;
  /** The text was cut at `maxChars`: ask for a range to read on. */
  truncated: boolean;
  /**
   * "file" when read from the file (unchanged since it was indexed), "index" when put together
   * from the indexed chunks (the file changed or is gone, or it is an image or audio description).
   */
  from: "file" | "index";
  notices: string[];
}

const defaultMaxChars = 40_000;
/** `guide.md:L10-L24`, `guide.md:L10`, `report.pdf:p3` at the end of a citation. */
const citationSuffix = /:(?:L(\d+)(?:-L?(\d+))?|p(\d+))$/;

/**
 * Reads an indexed document (or a line range or page of it) the way its passages were cited.
 * `reference` is a path relative to `cwd` or absolute, or a citation such as `guide.md:L10-L24`
 * or `report.pdf:p3`. The text comes from the file when its content still matches the index,
 * else from the indexed chunks, so line numbers and pages agree with the citations search gave.
 * Only documents in the index can be read: this never opens an arbitrary file.
 * @throws ConfigError when the document is not in the index, failed to index, or has no such page or lines.
 */
export async function readDocument(
  reference: string,
  context: { store: Store; cwd: string },
  options: ReadOptions = {},
): Promise<DocumentText> {
  const { record, range } = await findDocument(reference, context);
  const wanted: ReadOptions = { ...range, ...options };
  if (wanted.lines && (wanted.lines.start < 1 || wanted.lines.end < wanted.lines.start))
    throw new ConfigError(
      `Lines ${wanted.lines.start}-${wanted.lines.end} are not a valid range (1-based, start ≤ end).`,
    );
  if (wanted.page !== undefined && wanted.page < 1) throw new ConfigError(`Page ${wanted.page} does not exist.`);
  const shown = displayPath(record.path, context.cwd);
  const notices: string[] = [];
  let sections = await sectionsFromFile(record, notices, wanted.signal);
  const from = sections ? "file" : "index";
  sections ??= sectionsFromChunks(await context.store.chunksOf(record.path));
  const part = selectPart(sections, wanted, shown, record.kind ?? "text");
  const limit = wanted.maxChars ?? defaultMaxChars;
  const truncated = part.text.length > limit;
  if (truncated) {
    const cut = part.text.lastIndexOf("\n", limit);
    part.text = part.text.slice(0, cut > limit / 2 ? cut : limit);
    notices.push(
      `Only the first ${limit.toLocaleString("en-US")} characters are shown: ask for a page or lines to read on.`,
    );
  }
  const linesTotal = sections.reduce((most, section) => Math.max(most, lastLine(section)), 0);
  const pages = sections.reduce((most, section) => Math.max(most, section.page ?? 0), 0);
  return {
    path: record.path,
    displayPath: shown,
    kind: record.kind ?? "text",
    ...(record.title ? { title: record.title } : {}),
    ...part,
    ...(pages > 0 ? { pages } : {}),
    ...(linesTotal > 0 ? { lines: linesTotal } : {}),
    truncated,
    from,
    notices,
  };
}

/** The manifest row for `reference` (a path, or a citation whose location becomes the range). */
async function findDocument(
  reference: string,
  context: { store: Store; cwd: string },
): Promise<{ record: DocumentRecord; range: Pick<ReadOptions, "lines" | "page"> }> {
  const lookup = async (candidate: string) => {
    const absolute = toPosixPath(path.resolve(context.cwd, candidate));
    for await (const record of context.store.documents({ path: absolute })) return record;
    return undefined;
  };
  let record = await lookup(reference);
  let range: Pick<ReadOptions, "lines" | "page"> = {};
  const suffix = citationSuffix.exec(reference);
  if (!record && suffix) {
    record = await lookup(reference.slice(0, suffix.index));
    if (suffix[3] !== undefined) range = { page: Number(suffix[3]) };
    else range = { lines: { start: Number(suffix[1]), end: Number(suffix[2] ?? suffix[1]) } };
  }
  if (!record)
    throw new ConfigError(`${reference} is not in the index: search for it first, or check the path (${context.cwd}).`);
  if (record.status === "failed")
    throw new ConfigError(`${reference} could not be indexed: ${record.error ?? "it failed to load"}.`);
  return { record, range };
}

/** The document's sections from its file, when the file still holds what was indexed; else undefined. */
async function sectionsFromFile(
  record: DocumentRecord,
  notices: string[],
  signal?: AbortSignal,
): Promise<DocumentSection[] | undefined> {
  // Images and audio are indexed as descriptions a model wrote: only the index has that text.
  if (record.kind === "image" || record.kind === "audio") return undefined;
  try {
    const info = await stat(record.path);
    const file = { path: record.path, source: record.source, relativePath: "", size: info.size, mtimeMs: info.mtimeMs };
    const loaded = await loadDocument(file, { signal });
    if (loaded.hash === record.hash && loaded.sections.length > 0) return loaded.sections;
    notices.push("The file changed since it was indexed: showing the text as indexed.");
  } catch (error) {
    if (isAbort(error, signal)) throw error;
    notices.push("The file cannot be read any more: showing the text as indexed.");
  }
  return undefined;
}

/** Sections rebuilt from chunks (overlapping chunk text is shown as indexed, one chunk after another). */
function sectionsFromChunks(chunks: ChunkMatch[]): DocumentSection[] {
  return chunks.map((chunk) => ({
    text: chunk.text,
    ...(chunk.page !== undefined ? { page: chunk.page } : {}),
    ...(chunk.lineStart !== undefined ? { startLine: chunk.lineStart } : {}),
    ...(chunk.location !== undefined ? { location: chunk.location } : {}),
  }));
}

/** The last line a section covers (a final line end does not start another line). */
function lastLine(section: DocumentSection): number {
  if (section.startLine === undefined) return 0;
  return section.startLine + section.text.replace(/\n$/, "").split("\n").length - 1;
}

type Part = Pick<DocumentText, "citation" | "text" | "page" | "lineStart" | "lineEnd">;

function selectPart(sections: DocumentSection[], wanted: ReadOptions, shown: string, kind: string): Part {
  if (wanted.page !== undefined) {
    const pages = sections.filter((section) => section.page === wanted.page);
    if (pages.length === 0) {
      const count = sections.reduce((most, section) => Math.max(most, section.page ?? 0), 0);
      throw new ConfigError(
        count > 0 ? `${shown} has no page ${wanted.page} (it has ${count}).` : `${shown} has no pages; ask for lines.`,
      );
    }
    return {
      citation: formatCitation(shown, { page: wanted.page }),
      text: pages.map((section) => section.text).join("\n\n"),
      page: wanted.page,
    };
  }
  if (wanted.lines) {
    const { start, end } = wanted.lines;
    const numbered = sections.filter((section) => section.startLine !== undefined);
    if (numbered.length === 0) throw new ConfigError(`${shown} has no line numbers (${kind}); read it whole.`);
    const pieces: string[] = [];
    let first = Infinity;
    let last = 0;
    for (const section of numbered) {
      const lines = section.text.split("\n");
      const from = Math.max(start, section.startLine!);
      const to = Math.min(end, section.startLine! + lines.length - 1);
      if (from > to) continue;
      const label = numbered.length > 1 && section.location ? `${section.location}:\n` : "";
      pieces.push(label + lines.slice(from - section.startLine!, to - section.startLine! + 1).join("\n"));
      first = Math.min(first, from);
      last = Math.max(last, to);
    }
    if (pieces.length === 0) {
      const total = numbered.reduce((most, section) => Math.max(most, lastLine(section)), 0);
      throw new ConfigError(`${shown} has no lines ${start}-${end} (it has ${total}).`);
    }
    return {
      citation: formatCitation(shown, { lineStart: first, lineEnd: last }),
      text: pieces.join("\n\n"),
      lineStart: first,
      lineEnd: last,
    };
  }
  const paged = sections.some((section) => section.page !== undefined);
  const text = sections
    .map((section) => (paged && section.page !== undefined ? `[page ${section.page}]\n${section.text}` : section.text))
    .join("\n\n");
  return { citation: shown, text };
}
