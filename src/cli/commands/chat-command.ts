import { createInterface, type Interface } from "node:readline";
import type { Command } from "commander";
import {
  type AnswerEvent,
  type ChatSession,
  type ChatUsage,
  ConfigError,
  GemindexError,
  type Hit,
  type SearchFilter,
  type SearchMode,
} from "../../index.js";
import { describeError, describeNotice } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { openFromCli } from "../open-from-cli.js";
import { escapeControl, formatCount, Output } from "../output.js";
import { describeCache, describeEnd, printPinned } from "./answer-output.js";
import { oneOf, parsePositiveInteger } from "./parse.js";
import { describeToolCall, describeToolResult, stepLimitNotice } from "./query-agent.js";

interface ChatCommandOptions {
  top: number;
  mode?: SearchMode;
  path?: string[];
  kind?: string[];
  source?: string[];
  model?: string;
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | "none";
  thoughts?: boolean;
  pin?: string[];
  cachedContent?: string;
  cache: boolean;
  historyTokens: number;
  agent?: boolean;
  maxSteps: number;
}

/** One finished (or interrupted) turn, for --json. */
interface TurnRecord {
  question: string;
  answer: string;
  /** Ctrl-C stopped it. */
  interrupted: boolean;
  /** The model's finish reason; null when the answer broke off or failed. */
  finishReason: string | null;
  /** The service failure that ended the turn (a broken stream, …). */
  error: { code: string; message: string } | null;
  hits: Array<{ n: number; citation: string; path: string }>;
  usage: ChatUsage | null;
  cachedContent: string | null;
}

export function registerChatCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("chat")
    .description("Ask follow-up questions in one conversation over the index (needs GEMINI_API_KEY).")
    .option("--pin <paths...>", "indexed documents to give the model whole for the whole session (one context cache)")
    .option("--model <model>", "chat model (default gemini-3-flash-preview)")
    .option("-k, --top <n>", "passages to retrieve per question", parsePositiveInteger, 8)
    .option("--mode <mode>", "vector, lexical or hybrid", oneOf(["vector", "lexical", "hybrid"] as const))
    .option("--path <globs...>", "only documents whose path matches")
    .option("--kind <kinds...>", "only these document kinds")
    .option("--source <roots...>", "only documents indexed from these folders")
    .option(
      "--reasoning-effort <level>",
      "minimal, low, medium, high or none",
      oneOf(["minimal", "low", "medium", "high", "none"] as const),
    )
    .option("--thoughts", "show the model's thought summaries")
    .option("--cached-content <name>", "converse with this existing context cache (cachedContents/<id>) as it is")
    .option("--no-cache", "send pinned documents with every question instead of in a context cache")
    .option(
      "--history-tokens <n>",
      "tokens of earlier turns sent with each question (oldest dropped first)",
      parsePositiveInteger,
      8000,
    )
    .option("--agent", "let the model search and read the index itself for each question (function calling)")
    .option("--max-steps <n>", "with --agent: model requests per question at most", parsePositiveInteger, 4)
    .addHelpText(
      "after",
      `
Type a question and press Enter; each answer streams with its sources. Earlier turns go with
each question, and every question retrieves afresh. /exit or Ctrl-D ends the session; Ctrl-C
stops the answer being written, and a second Ctrl-C quits.

Examples:
  $ gemindex chat
  $ gemindex chat --pin docs/runbook.md docs/faq.md
  $ printf 'what is X?\\nand Y?\\n' | gemindex chat`,
    )
    .action(async (options: ChatCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const index = await openFromCli(io, global, { chatModel: options.model });
      try {
        if (!index.online)
          throw new ConfigError(
            "gemindex chat needs GEMINI_API_KEY (it generates answers); without a key, use gemindex query.",
          );
        if (!io.stdin) throw new ConfigError("gemindex chat needs an input to read questions from.");
        const filter: SearchFilter = { paths: options.path, kinds: options.kind, sources: options.source };
        const session = index.chat({
          k: options.top,
          mode: options.mode,
          filter,
          reasoningEffort: options.reasoningEffort,
          thoughts: options.thoughts,
          pin: options.pin,
          cachedContent: options.cachedContent,
          cache: options.cache,
          historyTokens: options.historyTokens,
          agent: options.agent,
          maxSteps: options.maxSteps,
        });
        done(await converse(session, io, io.stdin, output, options.agent === true));
      } finally {
        await index.close();
      }
    });
}

/** What Ctrl-C changes while the conversation runs. */
interface SessionState {
  /** Set to `interrupted` by a second Ctrl-C: the session ends. */
  exitCode: number;
  /** Ctrl-C presses since the last question. */
  interrupts: number;
  /** The answer being written, if any: Ctrl-C aborts it. */
  turn: AbortController | undefined;
}

/** What the screen shows once per session, and how sources are shown. */
interface TurnView {
  output: Output;
  /** Sources come from the model's tool calls, step by step, instead of before the answer. */
  agent: boolean;
  pinnedShown: boolean;
  lastCache: string | undefined;
}

/**
 * Reads questions line by line until /exit, end of input or a second Ctrl-C, and streams each
 * answer. Ctrl-C reaches us as readline's SIGINT on a terminal (raw mode), or as `io.signal`
 * when input is piped (bin.ts turns the process signal into it, and exits on the second itself).
 */
async function converse(
  session: ChatSession,
  io: CliIO,
  stdin: NonNullable<CliIO["stdin"]>,
  output: Output,
  agent: boolean,
): Promise<number> {
  const terminalOutput = io.stdout as Partial<NodeJS.WritableStream>;
  const terminal = stdin.isTTY === true && typeof terminalOutput.on === "function" && !output.json;
  const reader = createInterface({
    input: stdin,
    output: terminal ? (io.stdout as NodeJS.WritableStream) : undefined,
    terminal,
    prompt: "> ",
  });
  const nextLine = queuedLines(reader);
  const state: SessionState = { exitCode: ExitCode.ok, interrupts: 0, turn: undefined };
  const interrupt = () => onInterrupt(state, reader, output);
  reader.on("SIGINT", interrupt);
  io.signal?.addEventListener("abort", interrupt, { once: true });

  const view: TurnView = { output, agent, pinnedShown: false, lastCache: undefined };
  const turns: TurnRecord[] = [];
  /** Exit code of the first turn the service failed (the session goes on; it ends with this code). */
  let failure: number | undefined;
  try {
    if (terminal) {
      output.notice("ask about the indexed documents; /exit or Ctrl-D ends the session.");
      reader.prompt();
    }
    while (state.exitCode === ExitCode.ok) {
      const line = await nextLine();
      // After a second Ctrl-C, lines typed ahead are not asked.
      if (line === undefined || state.exitCode !== ExitCode.ok) break;
      const question = line.trim();
      if (question === "") {
        if (terminal) reader.prompt();
        continue;
      }
      if (question === "/exit" || question === "/quit") break;
      state.interrupts = 0;
      if (!terminal) output.print(`> ${escapeControl(question)}`);
      const record = newTurn(question);
      turns.push(record);
      state.turn = new AbortController();
      try {
        const turnFailure = await answerTurn(session, record, state, view);
        failure ??= turnFailure;
      } finally {
        state.turn = undefined;
      }
      if (terminal && state.exitCode === ExitCode.ok) reader.prompt();
    }
  } finally {
    io.signal?.removeEventListener("abort", interrupt);
    reader.close();
  }
  output.emitJson({ turns });
  return state.exitCode === ExitCode.ok && failure !== undefined ? failure : state.exitCode;
}

/** The reader's lines, one per call, as they come; undefined once the input has ended. */
function queuedLines(reader: Interface): () => Promise<string | undefined> {
  const lines: string[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  reader.on("line", (line) => {
    lines.push(line);
    wake?.();
  });
  reader.on("close", () => {
    closed = true;
    wake?.();
  });
  return async () => {
    while (lines.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
    return lines.shift();
  };
}

/** Ctrl-C: stops the answer being written; a second one ends the session. */
function onInterrupt(state: SessionState, reader: Interface, output: Output): void {
  state.interrupts++;
  if (state.interrupts >= 2) {
    state.exitCode = ExitCode.interrupted;
    state.turn?.abort(new Error("interrupted"));
    reader.close();
  } else if (state.turn) {
    state.turn.abort(new Error("interrupted"));
  } else {
    output.notice("press Ctrl-C again to quit, or type /exit.");
  }
}

function newTurn(question: string): TurnRecord {
  return {
    question,
    answer: "",
    interrupted: false,
    finishReason: null,
    error: null,
    hits: [],
    usage: null,
    cachedContent: null,
  };
}

/**
 * Asks one question and shows its answer, filling in `record`. A provider failure ends this
 * question, not the conversation: returns its exit code (also for an answer that broke off).
 */
async function answerTurn(
  session: ChatSession,
  record: TurnRecord,
  state: SessionState,
  view: TurnView,
): Promise<number | undefined> {
  const { output } = view;
  const signal = state.turn!.signal;
  let failure: number | undefined;
  // An agent's turn starts with pinned documents only; a second sources event brings the
  // passages of a search made without the model (it could not be asked), shown like a plain turn's.
  let sourcesEvents = 0;
  try {
    for await (const event of session.ask(record.question, { signal })) {
      showEvent(event, record, view, sourcesEvents);
      if (event.type === "sources") sourcesEvents++;
      if (event.type === "done" && event.interrupted) failure ??= exitCodeOf(event.interrupted.code);
    }
  } catch (error) {
    if (signal.aborted) {
      record.interrupted = true;
      output.stream("\n");
      output.notice(state.interrupts >= 2 ? "interrupted." : "answer interrupted (Ctrl-C again quits).");
    } else if (error instanceof GemindexError && exitCodeOf(error.code) !== ExitCode.config) {
      output.warn(describeError(error));
      record.error = { code: error.code, message: describeError(error) };
      failure ??= exitCodeOf(error.code);
    } else {
      throw error;
    }
  }
  return failure;
}

/**
 * Shows one event of a turn: sources, the agent's tool calls, or the answer itself.
 * `earlierSources`: sources events of this turn before this one.
 */
function showEvent(event: AnswerEvent, record: TurnRecord, view: TurnView, earlierSources: number): void {
  const { output } = view;
  if (event.type === "sources") {
    for (const notice of event.notices) output.notice(describeNotice(notice));
    if (event.cache && (event.cache.name !== view.lastCache || event.cache.state !== "reused"))
      output.notice(describeCache(event.cache));
    view.lastCache = event.cache?.name;
    if (!view.pinnedShown) printPinned(output, event.pinned);
    view.pinnedShown = true;
    record.hits = event.hits.map((hit) => ({ n: hit.rank, citation: hit.citation, path: hit.displayPath }));
    if (!view.agent || earlierSources > 0) output.print(sourcesLine(event.hits));
  } else if (event.type === "tool-call") {
    output.print(`  (${describeToolCall(event.name, event.arguments)})`);
  } else if (event.type === "tool-result") {
    for (const line of describeToolResult(event)) output.print(line);
    for (const hit of event.hits)
      if (!record.hits.some((known) => known.n === hit.rank))
        record.hits.push({ n: hit.rank, citation: hit.citation, path: hit.displayPath });
  } else {
    renderEvent(event, record, output);
  }
}

/** Writes one streamed event of a turn. */
function renderEvent(
  event: Exclude<AnswerEvent, { type: "sources" | "tool-call" | "tool-result" }>,
  record: TurnRecord,
  output: Output,
): void {
  if (event.type === "thought") output.stream(`(thinking) ${event.text}\n`);
  else if (event.type === "text-delta") {
    record.answer += event.text;
    output.stream(event.text);
  } else if (event.type === "done") {
    record.usage = event.usage ?? null;
    record.cachedContent = event.cachedContent ?? null;
    record.finishReason = event.finishReason;
    if (event.interrupted) record.error = { code: event.interrupted.code, message: event.interrupted.message };
    output.stream("\n");
    const stop = describeEnd(event);
    if (stop) output.warn(stop);
    output.stream("\n");
    if (event.stepLimitReached) output.notice(stepLimitNotice(event.steps?.length ?? 0));
    if (event.usage) output.notice(describeUsage(event.usage));
  }
}

/** "Sources: [1] guide.md:L3-L9  [2] faq.md:L1-L4" */
function sourcesLine(hits: Hit[]): string {
  return hits.length === 0
    ? "(no passages matched)"
    : `Sources: ${hits.map((hit) => `[${hit.rank}] ${escapeControl(hit.citation)}`).join("  ")}`;
}

function describeUsage(usage: ChatUsage): string {
  const cached = usage.cachedTokens > 0 ? ` (${formatCount(usage.cachedTokens)} from the context cache)` : "";
  return `tokens: ${formatCount(usage.promptTokens)} in${cached}, ${formatCount(usage.outputTokens)} out`;
}
