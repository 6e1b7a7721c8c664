import path from "node:path";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type Citation, ConfigError, type GemIndex, GemindexError, toRunRecord } from "../index.js";
import {
  formatAnswer,
  formatDocument,
  formatReport,
  formatSearch,
  formatStatus,
  libraryWords,
  type McpWords,
} from "./format.js";

/** What a tool handler gets besides its arguments (the SDK's request context, the part we use). */
interface ToolExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; total?: number; message?: string };
  }) => Promise<void>;
}

export interface ToolOptions {
  /** Offer the `index` tool (re-index the folders the index was built from). @default false */
  allowIndex?: boolean;
  /** How errors and notices are worded. @default the library's messages */
  words?: McpWords;
}

/** Text to return; the API key is cut out of everything a client receives, whatever produced it. */
function text(value: string, index: GemIndex, isError = false): CallToolResult {
  const key = index.settings.apiKey;
  const safe = key ? value.replaceAll(key, "[redacted]") : value;
  return { content: [{ type: "text", text: safe }], ...(isError ? { isError: true } : {}) };
}

/**
 * Runs a tool body; a failure becomes a tool error worded as the CLI words it after `gemindex:`
 * (an unexpected one says so), never a crashed server or a JSON-RPC error.
 */
async function guarded(index: GemIndex, words: McpWords, body: () => Promise<string>): Promise<CallToolResult> {
  try {
    return text(await body(), index);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return text(
      error instanceof GemindexError ? words.error(error.toInfo()) : `unexpected error: ${message}`,
      index,
      true,
    );
  }
}

/** Sends progress notifications when the client asked for them (it gave a progress token). */
function progressReporter(extra: ToolExtra): (message: string, total?: number) => Promise<void> {
  const token = extra._meta?.progressToken;
  let progress = 0;
  return async (message, total) => {
    if (token === undefined) return;
    progress++;
    await extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress, ...(total === undefined ? {} : { total }), message },
    });
  };
}

/** `"10-40"`, `"L10-L40"` or `"12"` as a line range. */
function lineRange(value: string): { start: number; end: number } {
  const match = /^\s*L?(\d+)\s*(?:-\s*L?(\d+))?\s*$/i.exec(value);
  if (!match) throw new ConfigError(`lines must look like "10-40", got ${JSON.stringify(value)}.`);
  return { start: Number(match[1]), end: Number(match[2] ?? match[1]) };
}

const readOnly = { readOnlyHint: true, openWorldHint: false } as const;
const stringList = z.union([z.string(), z.array(z.string())]);
const asList = (value: string | string[] | undefined) => (value === undefined ? undefined : [value].flat());

/** Registers `search`, `ask`, `read`, `status` (and `index` when allowed) on `server`. */
export function registerTools(server: McpServer, index: GemIndex, options: ToolOptions = {}): void {
  const words = options.words ?? libraryWords;
  server.registerTool(
    "search",
    {
      title: "Search the index",
      description:
        "Search the indexed documents. Returns ranked passages, each with its citation (path, page or lines, " +
        "headings) " +
        "and score. Works without an API key (full-text BM25 ranking).",
      inputSchema: {
        query: z.string().min(1).describe("What to look for."),
        k: z.number().int().min(1).max(50).optional().describe("How many passages (default 8)."),
        mode: z.enum(["vector", "lexical", "hybrid"]).optional().describe("Ranking (default hybrid with a key)."),
        path: stringList.optional().describe('Only documents whose path matches these globs, e.g. "docs/**", "*.pdf".'),
        kind: stringList
          .optional()
          .describe("Only these kinds: markdown, text, code, pdf, html, docx, xlsx, image, audio."),
      },
      annotations: readOnly,
    },
    async ({ query, k, mode, path, kind }, extra) =>
      guarded(index, words, async () => {
        const result = await index.search(query, {
          k,
          mode,
          filter: { paths: asList(path), kinds: asList(kind) },
          signal: extra.signal,
        });
        return formatSearch(result, !index.online, words);
      }),
  );

  server.registerTool(
    "ask",
    {
      title: "Ask the index",
      description:
        "Answer a question from the indexed documents with a generated answer that cites its sources as [n]. " +
        "Needs GEMINI_API_KEY on the server. Streams the answer as progress notifications when asked.",
      inputSchema: {
        question: z.string().min(1).describe("The question."),
        k: z.number().int().min(1).max(50).optional().describe("Passages to retrieve (default 8)."),
        pin: z.array(z.string()).optional().describe("Indexed documents to give the model whole."),
      },
      annotations: { ...readOnly, openWorldHint: true },
    },
    async ({ question, k, pin }, extra) =>
      guarded(index, words, async () => {
        const report = progressReporter(extra as unknown as ToolExtra);
        let answer = "";
        let citations: Citation[] = [];
        let ending: string | undefined;
        for await (const event of index.answer(question, { k, pin, signal: extra.signal })) {
          if (event.type === "sources") await report(`${event.hits.length} passages found; the model is answering.`);
          else if (event.type === "text-delta") {
            answer += event.text;
            await report(event.text);
          } else if (event.type === "done") {
            citations = event.citations;
            if (event.interrupted) ending = `The answer above is incomplete. ${event.interrupted.message}`;
            else if (!event.complete)
              ending = `The answer above may be incomplete (finish reason: ${event.finishReason}).`;
          }
        }
        return formatAnswer(answer, citations, ending);
      }),
  );

  server.registerTool(
    "read",
    {
      title: "Read a document",
      description:
        "Read an indexed document whole, or one page or line range of it, e.g. to see the context of a passage. " +
        ('The path may be a citation such as "docs/guide.md:L10-L40" or "report.pdf:p3". Only indexed documents can ' +
          "be read."),
      inputSchema: {
        path: z.string().min(1).describe("The document's path (as search cites it) or a citation."),
        lines: z.string().optional().describe('A line range such as "10-40".'),
        page: z.number().int().min(1).optional().describe("A page number (PDF)."),
      },
      annotations: readOnly,
    },
    async ({ path: reference, lines, page }, extra) =>
      guarded(index, words, async () => {
        const document = await index.read(reference, {
          ...(lines === undefined ? {} : { lines: lineRange(lines) }),
          ...(page === undefined ? {} : { page }),
          signal: extra.signal,
        });
        return formatDocument(document);
      }),
  );

  server.registerTool(
    "status",
    {
      title: "Index status",
      description: "What the index holds: documents, chunks, the embedding model, the last run.",
      annotations: readOnly,
    },
    async () => guarded(index, words, async () => formatStatus(await index.status())),
  );

  if (options.allowIndex) registerIndexTool(server, index, words);
}

/** `index`: re-indexes the folders the index was built from (or some of them), recorded in the run history. */
function registerIndexTool(server: McpServer, index: GemIndex, words: McpWords): void {
  server.registerTool(
    "index",
    {
      title: "Update the index",
      description:
        "Re-index the folders this index was built from (incremental: only new and changed files cost anything). " +
        "Give paths to update only some of those folders.",
      inputSchema: {
        paths: z.array(z.string()).optional().describe("Some of the index's folders (default: all of them)."),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async ({ paths }, extra) =>
      guarded(index, words, async () => {
        const roots = await index.sources();
        if (roots.length === 0)
          throw new ConfigError("This index holds no documents yet, so it has no folders to update.");
        const chosen = await index.sourceRules(
          paths?.length ? paths.map((wanted) => chooseRoot(wanted, roots, index.settings.cwd)) : roots,
        );
        const report = progressReporter(extra as unknown as ToolExtra);
        const result = await index.index(chosen, {
          signal: extra.signal,
          onProgress: (progress) => {
            if (progress.phase === "indexing")
              void report(`${progress.filesIndexed} of ${progress.filesToIndex} files`, progress.filesToIndex);
          },
        });
        await index.recordRun(toRunRecord("mcp", result));
        return formatReport(result, words);
      }),
  );
}

/** A configured root for `wanted` (the root itself or a folder inside it); refuses anything else. */
function chooseRoot(wanted: string, roots: string[], cwd: string): string {
  const absolute = path.resolve(cwd, wanted).split(path.sep).join("/");
  if (roots.some((root) => absolute === root || absolute.startsWith(`${root}/`))) return absolute;
  throw new ConfigError(
    `${wanted} is not one of the folders this index was built from (${roots.join(", ")}); the index tool only ` +
      `updates those.`,
  );
}
