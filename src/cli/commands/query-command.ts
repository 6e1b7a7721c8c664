import type { Command } from "commander";
import type { Notice } from "../../index.js";
import {
  type AnswerEvent,
  type AnswerOptions,
  ConfigError,
  type GemIndex,
  GemindexError,
  type Hit,
  type PinnedDocument,
  type SearchFilter,
  type SearchMode,
} from "../../index.js";
import { describeAnswerUnavailable, describeNotice, jsonNotice, providerFailure } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { offlineNotice, openFromCli } from "../open-from-cli.js";
import { Output } from "../output.js";
import { describeCache, describeEnd, printHits, printPinned, toJsonHit } from "./answer-output.js";
import { oneOf, parseNonNegativeInteger, parsePositiveInteger } from "./parse.js";
import { queryAgent } from "./query-agent.js";
import { queryStructured, readSchemaFile } from "./query-schema.js";

interface QueryCommandOptions {
  top: number;
  mode?: SearchMode;
  path?: string[];
  kind?: string[];
  source?: string[];
  answer: boolean;
  model?: string;
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | "none";
  thinkingBudget?: number;
  thoughts?: boolean;
  serviceTier?: "flex" | "priority";
  pin?: string[];
  cachedContent?: string;
  cache: boolean;
  agent?: boolean;
  maxSteps: number;
  schema?: string;
}

export function registerQueryCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("query")
    .description(
      "Search the index and answer a question with cited sources (a streamed Gemini answer when GEMINI_API_KEY is " +
        "set).",
    )
    .argument("<question...>", "the question or search terms")
    .option("-k, --top <n>", "number of passages to retrieve", parsePositiveInteger, 8)
    .option(
      "--mode <mode>",
      "vector, lexical or hybrid (default: hybrid with a key, lexical without)",
      oneOf(["vector", "lexical", "hybrid"] as const),
    )
    .option("--path <globs...>", 'only documents whose path matches (e.g. "docs/**", "*.pdf")')
    .option("--kind <kinds...>", "only these document kinds (markdown, text, code, pdf, ...)")
    .option("--source <roots...>", "only documents indexed from these folders")
    .option("--no-answer", "print the retrieved passages only")
    .option("--model <model>", "chat model (default gemini-3-flash-preview)")
    .option(
      "--reasoning-effort <level>",
      "minimal, low, medium, high or none",
      oneOf(["minimal", "low", "medium", "high", "none"] as const),
    )
    .option(
      "--thinking-budget <tokens>",
      "thinking token budget (not with --reasoning-effort)",
      parseNonNegativeInteger,
    )
    .option("--thoughts", "show the model's thought summaries")
    .option("--service-tier <tier>", "flex (cheaper, slower) or priority", oneOf(["flex", "priority"] as const))
    .option("--pin <paths...>", "indexed documents to give the model whole (kept in a context cache when big enough)")
    .option("--cached-content <name>", "answer with this existing context cache (cachedContents/<id>) as it is")
    .option("--no-cache", "send pinned documents with the question instead of in a context cache")
    .option("--agent", "let the model search and read the index itself, over several steps (function calling)")
    .option("--max-steps <n>", "with --agent: model requests at most (the last must answer)", parsePositiveInteger, 4)
    .option("--schema <file.json>", "answer as JSON matching this JSON Schema (validated; one retry, then exit 4)")
    .addHelpText(
      "after",
      `
Examples:
  $ gemindex query "how are crashed runs recovered?"
  $ gemindex query "which keys must be rotated, and how often?" --agent --max-steps 6
  $ gemindex query "list every command with its purpose" --schema commands.schema.json
  $ gemindex query "retry policy" --mode lexical --no-answer -k 3
  $ gemindex query "what does chapter 2 say about pricing?" --path "*.pdf" --json
  $ gemindex query "which steps does the runbook skip?" --pin docs/runbook.md`,
    )
    .action(async (words: string[], options: QueryCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const question = words.join(" ");
      const index = await openFromCli(io, global, { chatModel: options.model });
      const filter: SearchFilter = { paths: options.path, kinds: options.kind, sources: options.source };
      const search = { k: options.top, mode: options.mode, filter, signal: io.signal };
      try {
        if (options.agent || options.schema) done(await generatedOnly(index, question, options, search, output, io));
        else if (!index.online || !options.answer) done(await passagesOnly(index, question, options, search, output));
        else done(await printAnswer(index, question, answerOptionsOf(options, search), output));
      } finally {
        await index.close();
      }
    });
}

/** The answer options the query flags give (the agent's own are added where it is asked for). */
function answerOptionsOf(options: QueryCommandOptions, search: AnswerOptions): AnswerOptions {
  return {
    ...search,
    reasoningEffort: options.reasoningEffort,
    thinkingBudget: options.thinkingBudget,
    thoughts: options.thoughts,
    serviceTier: options.serviceTier,
    pin: options.pin,
    cachedContent: options.cachedContent,
    cache: options.cache,
  };
}

/** Without a key or with --no-answer: the passages a search finds, and nothing generated. */
async function passagesOnly(
  index: GemIndex,
  question: string,
  options: QueryCommandOptions,
  search: AnswerOptions,
  output: Output,
): Promise<number> {
  const result = await index.search(question, search);
  if (!index.online) output.notice(offlineNotice);
  for (const notice of result.notices)
    if (index.online || notice.kind !== "lexical-fallback") output.notice(describeNotice(notice));
  if (options.pin?.length || options.cachedContent)
    output.notice("--pin and --cached-content apply to generated answers: ignored.");
  printHits(output, result.hits, question, !index.online);
  output.emitJson({
    query: question,
    mode: result.mode,
    hits: result.hits.map(toJsonHit),
    answer: null,
    usage: null,
    notices: [
      ...(index.online ? [] : [{ kind: "lexical-fallback", reason: "no-api-key", message: offlineNotice }]),
      ...result.notices.map(jsonNotice),
    ],
  });
  return ExitCode.ok;
}

/**
 * A generated answer: the passages, then the answer as it streams (thoughts when asked for);
 * `--json` prints it whole at the end. When the model API fails after the passages were shown,
 * they stand and the answer is reported unavailable with the reason (the provider's exit code).
 */
async function printAnswer(index: GemIndex, question: string, options: AnswerOptions, output: Output): Promise<number> {
  const shown = new ShownAnswer(question, output);
  try {
    for await (const event of index.answer(question, options)) shown.show(event);
  } catch (error) {
    // The model API failed after the passages were shown: they stand, the answer is unavailable.
    if (!(error instanceof GemindexError) || !shown.sources || !providerFailure(error.code)) throw error;
    if (shown.answering) output.stream("\n");
    const message = describeAnswerUnavailable(error, shown.notices);
    output.warn(message);
    output.emitJson({
      query: question,
      mode: shown.mode,
      hits: shown.hits.map(toJsonHit),
      pinned: shown.pinned.map(toJsonPin),
      answer: null,
      error: { code: error.code, message },
      notices: shown.notices.map(jsonNotice),
    });
    return exitCodeOf(error.code);
  }
  const { end } = shown;
  output.emitJson({
    query: question,
    mode: shown.mode,
    hits: shown.hits.map(toJsonHit),
    pinned: shown.pinned.map(toJsonPin),
    cachedContent: end?.cachedContent ?? null,
    answer: end?.text ?? "",
    finishReason: end?.finishReason ?? null,
    complete: end?.complete ?? false,
    error: end?.interrupted ? { code: end.interrupted.code, message: end.interrupted.message } : null,
    citations: end?.citations ?? [],
    ...(options.thoughts ? { thoughts: shown.thoughts } : {}),
    usage: end?.usage ?? null,
    notices: shown.notices.map(jsonNotice),
  });
  return end?.interrupted ? exitCodeOf(end.interrupted.code) : ExitCode.ok;
}

/** Prints a generated answer event by event, and keeps what `--json` reports of it. */
class ShownAnswer {
  /** The `sources` event came: the index was searched. */
  sources = false;
  /** The "Answer:" heading is out. */
  answering = false;
  hits: Hit[] = [];
  mode: SearchMode = "hybrid";
  notices: Notice[] = [];
  pinned: PinnedDocument[] = [];
  thoughts = "";
  end: Extract<AnswerEvent, { type: "done" }> | undefined;
  #thinking = false;

  constructor(
    readonly question: string,
    readonly output: Output,
  ) {}

  show(event: AnswerEvent): void {
    const { output } = this;
    if (event.type === "sources") {
      this.sources = true;
      ({ hits: this.hits, mode: this.mode, notices: this.notices, pinned: this.pinned } = event);
      for (const notice of this.notices) output.notice(describeNotice(notice));
      if (event.cache) output.notice(describeCache(event.cache));
      printPinned(output, this.pinned);
      printHits(output, this.hits, this.question, false);
      if (!this.hits.length && !this.pinned.length) output.print("No passages matched; asking the model anyway.");
    } else if (!this.answering) {
      // The heading waits for the model's first word: an answer that never comes gets none.
      this.answering = true;
      output.print("\nAnswer:");
    }
    if (event.type === "thought") {
      if (!this.#thinking) output.stream("(thinking) ");
      this.#thinking = true;
      this.thoughts += event.text;
      output.stream(event.text);
    } else if (event.type === "text-delta") {
      if (this.#thinking) output.stream("\n\n");
      this.#thinking = false;
      output.stream(event.text);
    } else if (event.type === "done") {
      this.end = event;
      output.stream("\n");
      const stop = describeEnd(event);
      if (stop) output.warn(stop);
    }
  }
}

function toJsonPin(document: PinnedDocument): Record<string, unknown> {
  return {
    label: document.label,
    path: document.displayPath,
    absolutePath: document.path,
    chunks: document.chunks,
    tokens: document.tokens,
  };
}

/** `--agent` and `--schema`: answers only the model can give (refused offline and with --no-answer). */
async function generatedOnly(
  index: GemIndex,
  question: string,
  options: QueryCommandOptions,
  search: AnswerOptions,
  output: Output,
  io: CliIO,
): Promise<number> {
  const flag = options.schema !== undefined ? "--schema" : "--agent";
  if (!index.online)
    throw new ConfigError(
      `${flag} needs GEMINI_API_KEY (the model answers); without a key, gemindex query prints BM25-ranked passages.`,
    );
  if (!options.answer) throw new ConfigError(`${flag} cannot be combined with --no-answer.`);
  const answerOptions: AnswerOptions = {
    ...answerOptionsOf(options, search),
    agent: options.agent,
    maxSteps: options.maxSteps,
  };
  if (options.schema !== undefined) {
    const schema = await readSchemaFile(options.schema, io.cwd);
    return queryStructured(index, question, { ...answerOptions, schema }, output);
  }
  return queryAgent(index, question, { ...answerOptions, maxSteps: options.maxSteps }, output);
}
