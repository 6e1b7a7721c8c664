import { ConfigError } from "../errors.js";
import type { ChatTool, ChatToolCall } from "../providers/types.js";
import { readDocument } from "../retrieval/read-document.js";
import { type RetrieveContext, retrieve } from "../retrieval/retrieve.js";
import type { Hit, SearchFilter, SearchOptions } from "../retrieval/types.js";
import { formatSources } from "./prompt.js";

/** The functions an agent answer offers the model: search the index, read a document. */
export const agentTools: ChatTool[] = [
  {
    name: "search",
    description:
      "Search the indexed documents. Returns numbered passages with their citations (path, page or lines, headings). " +
      "Search again with other words when the passages do not answer the question.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for, in words likely to appear in the documents." },
        path: {
          type: "array",
          items: { type: "string" },
          description: 'Only documents whose path matches one of these globs, e.g. "docs/**" or "*.pdf".',
        },
        kind: {
          type: "array",
          items: { type: "string" },
          description: "Only these kinds of document: markdown, text, code, pdf, html, docx, xlsx, image, audio.",
        },
        k: { type: "integer", description: "How many passages (1-20, default 8)." },
      },
      required: ["query"],
    },
  },
  {
    name: "read",
    description:
      "Read an indexed document whole, or one page or line range of it, to see the context of a passage. " +
      ('Give the path as a passage cites it (e.g. "docs/guide.md"), or a citation such as "docs/guide.md:L10-L40" ' +
        'or "report.pdf:p3".'),
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "The document's path or a passage's citation." },
        lines: { type: "string", description: 'A line range such as "10-40" (text, Markdown, code).' },
        page: { type: "integer", description: "A page number (PDF)." },
      },
      required: ["path"],
    },
  },
];

/** Passages an agent answer has gathered so far, numbered in the order they were first given. */
export class GatheredPassages {
  readonly hits: Hit[] = [];
  readonly #byKey = new Map<string, Hit>();

  /** The passage under its number: the one given before for the same chunk or citation, else a new number. */
  add(hit: Omit<Hit, "rank">, key = hit.chunkId): { hit: Hit; fresh: boolean } {
    const known = this.#byKey.get(key);
    if (known) return { hit: known, fresh: false };
    const numbered: Hit = { ...hit, rank: this.hits.length + 1 };
    this.hits.push(numbered);
    this.#byKey.set(key, numbered);
    return { hit: numbered, fresh: true };
  }
}

/** What one tool call gave the model. */
export interface ToolOutcome {
  /** The tool message's content. */
  content: string;
  hits: Hit[];
  error?: string;
  arguments: Record<string, unknown>;
}

export interface AgentToolContext extends RetrieveContext {
  /** The caller's search options: its filter fields win over the model's; `k` is the default. */
  search: SearchOptions;
  passages: GatheredPassages;
  signal?: AbortSignal;
}

/**
 * The arguments of a call as an object, or why they are not one (the model is told and may
 * correct itself).
 */
export function parseToolArguments(call: ChatToolCall): { arguments: Record<string, unknown>; error?: string } {
  try {
    const parsed: unknown = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return { arguments: {}, error: "the arguments must be a JSON object" };
    return { arguments: parsed as Record<string, unknown> };
  } catch (error) {
    return { arguments: {}, error: `the arguments are not valid JSON (${(error as Error).message})` };
  }
}

/**
 * Runs one tool call against the index. A call the model got wrong (arguments that are not JSON,
 * an unknown tool, a document not in the index, a bad glob) becomes an error message for the
 * model to correct; a failure of the service or the store is thrown, as it ends the answer.
 */
export async function runAgentTool(call: ChatToolCall, context: AgentToolContext): Promise<ToolOutcome> {
  const { arguments: args, error } = parseToolArguments(call);
  if (error !== undefined) return failed(error, args);
  try {
    if (call.name === "search") return await runSearch(args, context);
    if (call.name === "read") return await runRead(args, context);
    return failed(`there is no tool named ${JSON.stringify(call.name)}; use search or read`, args);
  } catch (error) {
    if (error instanceof ConfigError) return failed(error.message, args);
    throw error;
  }
}

function failed(error: string, args: Record<string, unknown>): ToolOutcome {
  return { content: `Error: ${error}.`, hits: [], error, arguments: args };
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === "string" && value.trim() !== "") return [value];
  if (Array.isArray(value)) {
    const list = value.filter((item): item is string => typeof item === "string" && item.trim() !== "");
    return list.length > 0 ? list : undefined;
  }
  return undefined;
}

async function runSearch(args: Record<string, unknown>, context: AgentToolContext): Promise<ToolOutcome> {
  const query = typeof args.query === "string" ? args.query.trim() : "";
  if (query === "") return failed('"query" is required: the words to search for', args);
  const asked = typeof args.k === "number" && Number.isInteger(args.k) ? args.k : undefined;
  const k = Math.min(20, Math.max(1, asked ?? context.search.k ?? 8));
  const own = context.search.filter ?? {};
  const filter: SearchFilter = {
    paths: own.paths ?? stringList(args.path),
    kinds: own.kinds ?? stringList(args.kind),
    sources: own.sources,
  };
  const result = await retrieve(query, context, { ...context.search, k, filter, signal: context.signal });
  const fresh: Hit[] = [];
  const repeated: Hit[] = [];
  const hits = result.hits.map(({ rank: _rank, ...hit }) => {
    const added = context.passages.add(hit);
    (added.fresh ? fresh : repeated).push(added.hit);
    return added.hit;
  });
  if (hits.length === 0)
    return { content: "No passages matched. Try other words or fewer filters.", hits, arguments: args };
  const parts = [fresh.length > 0 ? formatSources(fresh) : ""];
  if (repeated.length > 0)
    parts.push(`Also matched, given earlier: ${repeated.map((hit) => `[${hit.rank}] ${hit.citation}`).join(", ")}`);
  return { content: parts.filter(Boolean).join("\n\n"), hits, arguments: args };
}

async function runRead(args: Record<string, unknown>, context: AgentToolContext): Promise<ToolOutcome> {
  const reference = typeof args.path === "string" ? args.path.trim() : "";
  if (reference === "") return failed('"path" is required: a document path or a citation', args);
  const lines = parseLines(args.lines);
  if (lines === null) return failed('"lines" must look like "10-40"', args);
  const page = typeof args.page === "number" && Number.isInteger(args.page) ? args.page : undefined;
  const document = await readDocument(reference, context, {
    ...(lines ? { lines } : {}),
    ...(page !== undefined ? { page } : {}),
    maxChars: 20_000,
    signal: context.signal,
  });
  const { hit, fresh } = context.passages.add(
    {
      score: 0,
      scores: {},
      path: document.path,
      displayPath: document.displayPath,
      citation: document.citation,
      kind: document.kind,
      text: document.text,
      headings: [],
      page: document.page,
      lineStart: document.lineStart,
      lineEnd: document.lineEnd,
      chunkId: `read:${document.citation}`,
    },
    `read:${document.citation}`,
  );
  const body = fresh ? formatSources([hit]) : `This was given earlier as [${hit.rank}] ${hit.citation}.`;
  const extent = [
    document.pages ? `${document.pages} pages` : "",
    document.lines ? `${document.lines} lines` : "",
  ].filter(Boolean);
  const notes = [...document.notices, ...(extent.length ? [`The document has ${extent.join(", ")}.`] : [])];
  return { content: [body, ...notes].join("\n"), hits: [hit], arguments: args };
}

/** `"10-40"`, `"L10-L40"`, `"12"` → a range; undefined when absent; null when unreadable. */
function parseLines(value: unknown): { start: number; end: number } | undefined | null {
  if (value === undefined || value === null || value === "") return undefined;
  const match = /^\s*L?(\d+)\s*(?:-\s*L?(\d+))?\s*$/i.exec(String(value));
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2] ?? match[1]) };
}
