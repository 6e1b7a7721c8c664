/**
 * The default, deterministic "model": cites numbered sources when the prompt has them, otherwise
 * echoes the question; a short thought summary; tool calls only when `tool_choice` forces one.
 */
import { isObject } from "../fields.js";
import type { ChatRequestInfo, EmulatedToolCall } from "../types.js";
import { sampleFromSchema } from "./json-schema.js";

const MAX_SENTENCE = 300;
const METADATA_LINE = /^\s*(#|(source|path|file|title|heading|page|pages|lines?|score|uri|url)\b[^:\n]{0,20}:)/i;

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Where source `n` starts: a `[n]` marker or an attribute such as `n="n"` (as in `<source n="1">`). */
function markerOf(prompt: string, n: number): { start: number; length: number } | undefined {
  const match = new RegExp(`\\[${n}\\]|\\bn="${n}"[^>\\n]*>?`).exec(prompt);
  return match ? { start: match.index, length: match[0].length } : undefined;
}

/** The first real sentence after the marker of source `n`, up to the next marker. */
function sourceSentence(prompt: string, n: number): string | undefined {
  const marker = markerOf(prompt, n);
  if (!marker) return undefined;
  let rest = prompt.slice(marker.start + marker.length);
  const next = rest.search(/\[\d+\]|\bn="\d+"/);
  if (next >= 0) rest = rest.slice(0, next);
  const lines = rest.split("\n").map(oneLine);
  const line =
    lines.find((candidate) => candidate.split(" ").length >= 4 && !METADATA_LINE.test(candidate)) ??
    lines.find((l) => l !== "");
  if (!line) return undefined;
  const sentence = (/^.*?[.!?](?=\s|$)/.exec(line)?.[0] ?? line).replace(/^[\s:.)\]-]+/, "").replace(/[.!?\s]+$/, "");
  return sentence.slice(0, MAX_SENTENCE);
}

/** Answer citing `[1]` (and `[2]` when present); otherwise a fixed sentence echoing the question. */
export function defaultChatResponder(request: ChatRequestInfo): string {
  // Sources sit in the conversation, not in the instructions (which may show "[1]" as an example).
  const systemEnd = request.system ? request.prompt.indexOf(request.system) + request.system.length : 0;
  const conversation = request.prompt.slice(Math.max(systemEnd, 0));
  const cited: string[] = [];
  for (const n of [1, 2]) {
    const sentence = sourceSentence(conversation, n);
    if (sentence === undefined || sentence === "") break;
    cited.push(`${sentence} [${n}].`);
  }
  if (cited.length > 0) return cited.join(" ");
  return `The emulator has no sources for this question: ${oneLine(request.question) || "(empty)"}`;
}

/** The thought summary shown with include_thoughts. */
export function thoughtSummary(request: ChatRequestInfo): string {
  return (
    `**Planning the answer**\n\nThe user asks: ${oneLine(request.question).slice(0, 200)}. I will answer ` +
    `briefly from the given context.`
  );
}

function toolName(tool: unknown): string | undefined {
  return isObject(tool) && isObject(tool.function) && typeof tool.function.name === "string"
    ? tool.function.name
    : undefined;
}

/** Calls a tool only when `tool_choice` is "required" (first tool) or names a function. */
export function defaultToolResponder(request: ChatRequestInfo): EmulatedToolCall[] | undefined {
  const tools = request.tools ?? [];
  const choice = request.body.tool_choice;
  let name: string | undefined;
  if (choice === "required") name = toolName(tools[0]);
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string")
    name = choice.function.name;
  if (name === undefined) return undefined;
  const tool = tools.find((candidate) => toolName(candidate) === name);
  const parameters = isObject(tool) && isObject(tool.function) ? tool.function.parameters : undefined;
  const args = sampleFromSchema(parameters ?? { type: "object" }, oneLine(request.question));
  return [{ name, arguments: isObject(args) ? args : {} }];
}
