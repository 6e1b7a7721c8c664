import {
  type AnswerEvent,
  type AnswerOptions,
  type GemIndex,
  GemindexError,
  type Hit,
  type Notice,
} from "../../index.js";
import { describeAnswerUnavailable, describeNotice, jsonNotice, providerFailure } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import { escapeControl, type Output, plural } from "../output.js";
import { describeEnd, printHits, printPinned, toJsonHit } from "./answer-output.js";

/** `search "glacier valleys" in docs/**` / `read manual.pdf:p2`: one tool call in a line. */
export function describeToolCall(name: string, args: Record<string, unknown>): string {
  if (name === "search") {
    const filters = [args.path, args.kind].flat().filter((value) => typeof value === "string");
    const where = filters.length ? ` in ${escapeControl(filters.join(", "))}` : "";
    return `search ${JSON.stringify(String(args.query ?? ""))}${where}`;
  }
  if (name === "read") {
    const part =
      args.page !== undefined ? ` page ${String(args.page)}` : args.lines ? ` lines ${String(args.lines)}` : "";
    return `read ${escapeControl(String(args.path ?? ""))}${escapeControl(part)}`;
  }
  return `${escapeControl(name)} ${JSON.stringify(args)}`;
}

/** The words for a finished tool call: the passages it gave (numbered as cited), or its error. */
export function describeToolResult(event: Extract<AnswerEvent, { type: "tool-result" }>): string[] {
  if (event.error !== undefined) return [`    (${escapeControl(event.error)})`];
  if (event.hits.length === 0) return ["    (no passages matched)"];
  return event.hits.map((hit) => {
    const heading = hit.headings.length ? ` — ${hit.headings.join(" > ")}` : "";
    return `    [${hit.rank}] ${escapeControl(hit.citation + heading)}`;
  });
}

/** The notice when the model was still calling tools at the last step. */
export function stepLimitNotice(maxSteps: number): string {
  return (
    `the model was still searching after ${plural(maxSteps, "step")} (--max-steps): this is the best answer ` +
    `it gave so far.`
  );
}

/**
 * `gemindex query --agent`: streams the steps (each tool call with the passages it found), then
 * the answer; `--json` prints `{answer, citations, steps, usage}`. Reaching the step limit is
 * a notice, not a failure (exit 0). When the model API is down or out of quota the passages
 * stand (those the model's searches found, else the question's own search), the answer is
 * reported unavailable with the reason, and the exit code is the provider's (4).
 */
export async function queryAgent(
  index: GemIndex,
  question: string,
  options: AnswerOptions & { maxSteps: number },
  output: Output,
): Promise<number> {
  const seen: AgentSeen = { started: false, answering: false, hits: new Map(), notices: [] };
  let end: Extract<AnswerEvent, { type: "done" }> | undefined;
  try {
    for await (const event of index.answer(question, { ...options, agent: true })) {
      if (event.type === "done") end = event;
      show(event, seen, question, output);
    }
  } catch (error) {
    if (!(error instanceof GemindexError) || !seen.started || !providerFailure(error.code)) throw error;
    return answerUnavailable(error, seen, question, output);
  }
  if (!end) throw new Error("The answer stream ended without its done event.");
  const limited = end.stepLimitReached === true;
  const notices = limited ? [stepLimitNotice(options.maxSteps)] : [];
  for (const notice of notices) output.notice(notice);
  if (end.text === "" && !output.json) output.print("(the model gave no answer)");
  output.emitJson({
    query: question,
    answer: end.text,
    citations: end.citations,
    steps: end.steps ?? [],
    hits: (end.hits ?? []).map(toJsonHit),
    usage: end.usage ?? null,
    finishReason: end.finishReason,
    complete: end.complete,
    error: end.interrupted ? { code: end.interrupted.code, message: end.interrupted.message } : null,
    stepLimitReached: limited,
    notices,
  });
  return end.interrupted ? exitCodeOf(end.interrupted.code) : ExitCode.ok;
}

/** What an agent answer has shown so far. */
interface AgentSeen {
  /** The first `sources` event came (the index was opened and searched through the library). */
  started: boolean;
  answering: boolean;
  /** Passages shown, by rank: from tool results, or the search made without the model. */
  hits: Map<number, Hit>;
  notices: Notice[];
}

/** Prints one event of an agent answer. */
function show(event: AnswerEvent, seen: AgentSeen, question: string, output: Output): void {
  if (event.type === "sources") {
    if (!seen.started) printPinned(output, event.pinned);
    else {
      // The model could not be asked: these are the passages a search of the question found.
      seen.notices.push(...event.notices);
      for (const notice of event.notices) output.notice(describeNotice(notice));
      printHits(output, event.hits, question, false);
    }
    seen.started = true;
    for (const hit of event.hits) seen.hits.set(hit.rank, hit);
  } else if (event.type === "tool-call") {
    seen.answering = false;
    output.print(`[step ${event.step}] ${describeToolCall(event.name, event.arguments)}`);
  } else if (event.type === "tool-result") {
    for (const hit of event.hits) seen.hits.set(hit.rank, hit);
    for (const line of describeToolResult(event)) output.print(line);
  } else if (event.type === "thought") output.stream(`(thinking) ${event.text}\n`);
  else if (event.type === "text-delta") {
    if (!seen.answering) output.print("\nAnswer:");
    seen.answering = true;
    output.stream(event.text);
  } else if (event.type === "done") {
    if (seen.answering) output.stream("\n");
    const stop = describeEnd(event);
    if (stop) output.warn(stop);
  }
}

/** The model API failed after passages were shown: they stand, the answer is unavailable (with why). */
function answerUnavailable(error: GemindexError, seen: AgentSeen, question: string, output: Output): number {
  if (seen.answering) output.stream("\n");
  const message = describeAnswerUnavailable(error, seen.notices);
  output.warn(message);
  output.emitJson({
    query: question,
    answer: null,
    citations: [],
    steps: [],
    hits: [...seen.hits.values()].sort((a, b) => a.rank - b.rank).map(toJsonHit),
    usage: null,
    finishReason: null,
    complete: false,
    error: { code: error.code, message },
    stepLimitReached: false,
    notices: seen.notices.map(jsonNotice),
  });
  return exitCodeOf(error.code);
}
