import type {
  Citation,
  DocumentText,
  ErrorInfo,
  Hit,
  IndexReport,
  IndexStatus,
  Notice,
  SearchResult,
} from "../index.js";

/**
 * How the server words the library's facts. The `gemindex mcp` command passes the CLI's own words
 * (flags and commands), so a client reads what a terminal user would; the default is the
 * library's message.
 */
export interface McpWords {
  error(error: ErrorInfo): string;
  notice(notice: Notice): string;
}

export const libraryWords: McpWords = {
  error: (error) => error.message,
  notice: (notice) => notice.message,
};

/** `[2] guide.md:L10-L24 — Install > From source (score 0.0323)` and the passage below it. */
export function formatHit(hit: Hit): string {
  const heading = hit.headings.length ? ` — ${hit.headings.join(" > ")}` : "";
  return `[${hit.rank}] ${hit.citation}${heading} (score ${hit.score.toFixed(4)})\n${hit.text}`;
}

/** Ranked passages with citations, led by the search mode and any notices. */
export function formatSearch(result: SearchResult, offline: boolean, words: McpWords): string {
  const lines: string[] = [];
  if (offline) lines.push("No GEMINI_API_KEY on the server: passages are ranked by BM25 (full-text search).");
  for (const notice of result.notices)
    if (!offline || notice.kind !== "lexical-fallback") lines.push(words.notice(notice));
  if (result.hits.length === 0) {
    lines.push(`No passages matched "${result.query}".`);
    return lines.join("\n");
  }
  const count = result.hits.length === 1 ? "1 passage" : `${result.hits.length} passages`;
  lines.push(`${count} for "${result.query}" (${result.mode} search); cite them by their citation:`);
  return [lines.join("\n"), ...result.hits.map(formatHit)].join("\n\n");
}

/** The answer, then the sources it cites. */
export function formatAnswer(text: string, citations: Citation[], ending?: string): string {
  const parts = [text.trim() === "" ? "(the model gave no answer)" : text.trim()];
  if (ending) parts.push(ending);
  if (citations.length > 0)
    parts.push(`Sources:\n${citations.map((source) => `[${source.n}] ${source.citation}`).join("\n")}`);
  return parts.join("\n\n");
}

/** A document's text under its citation, with what to know about it. */
export function formatDocument(document: DocumentText): string {
  const extent = [
    document.kind,
    document.pages ? `${document.pages} pages` : "",
    document.lines ? `${document.lines} lines` : "",
  ].filter(Boolean);
  const header = `${document.citation} (${extent.join(", ")})`;
  return [header, ...document.notices, "", document.text].join("\n");
}

/** What the index holds, in a few lines. */
export function formatStatus(status: IndexStatus): string {
  if (!status.exists) return `There is no index at ${status.uri} yet: nothing has been indexed.`;
  const embedding = status.embedding
    ? `embeddings: ${status.embedding.model}, ${status.embedding.dimensions} dimensions`
    : "no embeddings (full-text search only)";
  const lines = [
    `Index ${status.uri}: ${status.documents} documents, ${status.chunks} chunks; ${embedding}.`,
    ...(status.failedDocuments > 0 ? [`${status.failedDocuments} files could not be indexed.`] : []),
  ];
  if (status.lastRun)
    lines.push(`Last run ${status.lastRun.startedAt}: ${status.lastRun.outcome}, ${filesLine(status.lastRun)}.`);
  return lines.join("\n");
}

/** `2 new, 1 changed, 40 unchanged, 0 removed, 0 failed` */
export function filesLine(report: IndexReport): string {
  const { files } = report;
  return (
    `${files.new} new, ${files.changed} changed, ${files.unchanged} unchanged, ${files.removed} removed, ` +
    `${files.failed} failed`
  );
}

/** An index run: what changed, what failed, why it stopped early. */
export function formatReport(report: IndexReport, words: McpWords): string {
  const lines = [
    `Indexed ${report.uri} (${report.outcome}): ${filesLine(report)}; ${report.chunks.written} chunks written.`,
  ];
  for (const failure of report.failures) lines.push(`skipped ${failure.path}: ${failure.reason}`);
  for (const notice of report.notices) lines.push(words.notice(notice));
  if (report.error) lines.push(words.error(report.error));
  return lines.join("\n");
}
