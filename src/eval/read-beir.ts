import { open } from "node:fs/promises";
import { fsErrorReason } from "../sources/fs-error-reason.js";
import { EvalInputError } from "./eval-input-error.js";

/** One corpus document of a BEIR data set. */
export interface BeirDocument {
  id: string;
  /** Empty when the line has none. */
  title: string;
  text: string;
  /** 1-based line in the corpus file. */
  line: number;
}

/**
 * Relevance judgments: query id → document id → grade. Only a grade above 0 makes a document
 * relevant; graded judgments (1, 2, …) are the gains of nDCG.
 */
export type Qrels = Map<string, Map<string, number>>;

/**
 * The non-empty lines of a UTF-8 text file with their 1-based numbers, read as a stream (a
 * corpus of millions of lines never sits in memory). A missing or unreadable file is an
 * {@link EvalInputError} naming it.
 */
async function* readLines(file: string, signal?: AbortSignal): AsyncGenerator<{ text: string; line: number }> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, "r");
  } catch (error) {
    throw new EvalInputError(file, undefined, `cannot read it: ${fsErrorReason(error)}`, { cause: error });
  }
  let line = 0;
  try {
    for await (const raw of handle.readLines({ encoding: "utf8" })) {
      signal?.throwIfAborted();
      line++;
      const text = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (text.trim() !== "") yield { text, line };
    }
  } catch (error) {
    if (error instanceof EvalInputError || signal?.aborted) throw error;
    throw new EvalInputError(file, line === 0 ? undefined : line, `cannot read it: ${fsErrorReason(error)}`, {
      cause: error,
    });
  } finally {
    await handle.close();
  }
}

/** Parses one JSONL line into an object, or says why it is not one. */
function parseObject(file: string, line: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EvalInputError(file, line, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EvalInputError(file, line, "expected a JSON object");
  return value as Record<string, unknown>;
}

/** `_id` as a string: BEIR writes strings; a number is accepted as its decimal form. */
function idOf(file: string, line: number, record: Record<string, unknown>): string {
  const id = record._id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  if (typeof id !== "string" || id === "") throw new EvalInputError(file, line, 'missing "_id" (a non-empty string)');
  return id;
}

function stringField(
  file: string,
  line: number,
  record: Record<string, unknown>,
  name: string,
  required: boolean,
): string {
  const value = record[name];
  if (value === undefined || value === null) {
    if (required) throw new EvalInputError(file, line, `missing "${name}" (a string)`);
    return "";
  }
  if (typeof value !== "string") throw new EvalInputError(file, line, `"${name}" must be a string`);
  return value;
}

/**
 * Streams the documents of a BEIR `corpus.jsonl` (`{"_id", "title", "text"}` per line; `title`
 * may be absent). Throws {@link EvalInputError} with the line number on a malformed line;
 * duplicate ids are the caller's to detect (it is the one that keeps state).
 */
export async function* readBeirCorpus(
  file: string,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<BeirDocument> {
  for await (const { text, line } of readLines(file, options.signal)) {
    const record = parseObject(file, line, text);
    yield {
      id: idOf(file, line, record),
      title: stringField(file, line, record, "title", false),
      text: stringField(file, line, record, "text", true),
      line,
    };
  }
}

/** Reads a BEIR `queries.jsonl` (`{"_id", "text"}` per line) into id → text, in file order. */
export async function readBeirQueries(
  file: string,
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  const lines = new Map<string, number>();
  for await (const { text, line } of readLines(file, options.signal)) {
    const record = parseObject(file, line, text);
    const id = idOf(file, line, record);
    const query = stringField(file, line, record, "text", true);
    if (lines.has(id))
      throw new EvalInputError(file, line, `duplicate query id "${id}" (first on line ${lines.get(id)})`);
    if (query.trim() === "") throw new EvalInputError(file, line, `query "${id}" has empty text`);
    lines.set(id, line);
    queries.set(id, query);
  }
  return queries;
}

/**
 * Reads a BEIR qrels file: tab-separated `query-id corpus-id score` lines after a header line
 * (a first line whose score column is not a number is taken as the header). Scores are numbers;
 * only a score above 0 marks a document relevant, and its value is the graded gain. A repeated
 * pair keeps its last score, as BEIR's loader does.
 */
export async function readBeirQrels(file: string, options: { signal?: AbortSignal } = {}): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let first = true;
  for await (const { text, line } of readLines(file, options.signal)) {
    const fields = text.split("\t").map((field) => field.trim());
    const isFirst = first;
    first = false;
    if (fields.length !== 3) {
      if (isFirst && fields.length < 3)
        throw new EvalInputError(
          file,
          line,
          "expected a header line, then tab-separated lines of query-id, corpus-id, score",
        );
      throw new EvalInputError(
        file,
        line,
        `expected 3 tab-separated fields (query-id, corpus-id, score), found ${fields.length}`,
      );
    }
    const [queryId, documentId, scoreText] = fields as [string, string, string];
    const score = Number(scoreText);
    if (scoreText === "" || !Number.isFinite(score)) {
      if (isFirst) continue; // the header: "query-id  corpus-id  score"
      throw new EvalInputError(file, line, `score "${scoreText}" is not a number`);
    }
    if (queryId === "" || documentId === "") throw new EvalInputError(file, line, "empty query-id or corpus-id");
    let judged = qrels.get(queryId);
    if (!judged) {
      judged = new Map();
      qrels.set(queryId, judged);
    }
    judged.set(documentId, score);
  }
  return qrels;
}
