import type { AgentStep, AnswerEvent, AnswerOptions, ChatUsage, Citation, GemIndex, Hit } from "../../index.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import { escapeControl, type Output, plural } from "../output.js";
import { describeEnd, printPinned, toJsonHit } from "./answer-output.js";

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
 * a notice, not a failure (exit 0).
 */
export async function queryAgent(
  index: GemIndex,
  question: string,
  options: AnswerOptions & { maxSteps: number },
  output: Output,
): Promise<number> {
  let answer = "";
  let citations: Citation[] = [];
  let steps: AgentStep[] = [];
  let hits: Hit[] = [];
  let usage: ChatUsage | undefined;
  let limited = false;
  let answering = false;
  let end: Extract<AnswerEvent, { type: "done" }> | undefined;
  for await (const event of index.answer(question, { ...options, agent: true })) {
    if (event.type === "sources") printPinned(output, event.pinned);
    else if (event.type === "tool-call") {
      answering = false;
      output.print(`[step ${event.step}] ${describeToolCall(event.name, event.arguments)}`);
    } else if (event.type === "tool-result") for (const line of describeToolResult(event)) output.print(line);
    else if (event.type === "thought") output.stream(`(thinking) ${event.text}\n`);
    else if (event.type === "text-delta") {
      if (!answering) output.print("\nAnswer:");
      answering = true;
      output.stream(event.text);
    } else if (event.type === "done") {
      ({ citations, usage } = event);
      answer = event.text;
      steps = event.steps ?? [];
      hits = event.hits ?? [];
      limited = event.stepLimitReached === true;
      end = event;
      if (answering) output.stream("\n");
      const stop = describeEnd(event);
      if (stop) output.warn(stop);
    }
  }
  const notices = limited ? [stepLimitNotice(options.maxSteps)] : [];
  for (const notice of notices) output.notice(notice);
  if (answer === "" && !output.json) output.print("(the model gave no answer)");
  output.emitJson({
    query: question,
    answer,
    citations,
    steps,
    hits: hits.map(toJsonHit),
    usage: usage ?? null,
    finishReason: end?.finishReason ?? null,
    complete: end?.complete ?? false,
    error: end?.interrupted ? { code: end.interrupted.code, message: end.interrupted.message } : null,
    stepLimitReached: limited,
    notices,
  });
  return end?.interrupted ? exitCodeOf(end.interrupted.code) : ExitCode.ok;
}
