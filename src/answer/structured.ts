import { ConfigError, InvalidAnswerError, type StreamInterruptedError } from "../errors.js";
import type { ChatUsage } from "../providers/types.js";
import type { Hit } from "../retrieval/types.js";
import { addUsage } from "./agent.js";
import { type AnswerContext, answer } from "./answer.js";
import { extractCitations } from "./citations.js";
import { compileSchema } from "./json-schema-check.js";
import type { AnswerEvent, AnswerOptions, AnswerTurn, PinnedDocument } from "./types.js";

/**
 * The schema sent to the model: the user's schema under `data`, beside `sources` (the numbers of
 * the passages the data comes from), so citations stay attached without touching the user's
 * schema. Definitions move to the top, where the user's `#/$defs/…` references point.
 */
export function wrapSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _draft, $id: _id, $defs, definitions, ...data } = schema;
  return {
    type: "object",
    properties: {
      data,
      sources: {
        type: "array",
        items: { type: "string" },
        description:
          'Numbers of the sources the data comes from, as in the source tags: "1", "2", or "P1" for pinned documents.',
      },
    },
    required: ["data", "sources"],
    ...($defs === undefined ? {} : { $defs }),
    ...(definitions === undefined ? {} : { definitions }),
  };
}

const replyRule =
  'Reply with JSON that matches the given schema: the extracted data in "data", and the numbers of the sources it ' +
  'comes from in "sources".';

/**
 * Answers as JSON that conforms to `options.schema`: the request asks for it with
 * `response_format` json_schema, and the reply is validated locally. A reply that does not
 * conform is answered once more with the validation error (as a follow-up turn); a second
 * failure throws InvalidAnswerError (exit code 4) with the reasons. Events: `sources`, `usage`
 * per attempt, then `done` with `data`, the raw `text`, `citations` and the total usage. No
 * text deltas: a half-written JSON document is of no use to anyone.
 */
export async function* structuredAnswer(
  question: string,
  context: AnswerContext,
  options: AnswerOptions & { schema: Record<string, unknown> },
): AsyncGenerator<AnswerEvent> {
  if (options.agent)
    throw new ConfigError(
      "Give schema or agent, not both: Gemini refuses function calling together with JSON output.",
      {
        code: "CONFLICTING_OPTIONS",
        data: { options: ["schema", "agent"], reason: "Gemini refuses function calling together with JSON output" },
      },
    );
  const schema = compileSchema(options.schema);
  const jsonSchema = { name: "answer", schema: wrapSchema(options.schema) };
  let history: AnswerTurn[] = options.history ?? [];
  let ask = `${question}\n\n${replyRule}`;
  let hits: Hit[] = [];
  let pinned: PinnedDocument[] = [];
  let total: ChatUsage | undefined;
  let problem = "";
  let interrupted: StreamInterruptedError | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    let done: Extract<AnswerEvent, { type: "done" }> | undefined;
    const events = answer(
      ask,
      context,
      { ...options, history, searchText: options.searchText ?? question },
      { jsonSchema },
    );
    for await (const event of events) {
      if (event.type === "sources") {
        ({ hits, pinned } = event);
        if (attempt === 1) yield event;
      } else if (event.type === "usage") {
        total = addUsage(total, event.usage);
        yield event;
      } else if (event.type === "done") done = event;
    }
    const text = done?.text ?? "";
    if (done?.interrupted) {
      // A broken-off stream is asked again as it was; its half-written JSON is not worth correcting.
      interrupted = done.interrupted;
      continue;
    }
    interrupted = undefined;
    const reply = readReply(text, schema);
    if ("data" in reply) {
      const cited = `${reply.sources.map((source) => `[${source}]`).join("")} ${JSON.stringify(reply.data)}`;
      yield {
        type: "done",
        text,
        data: reply.data,
        citations: extractCitations(cited, hits, pinned),
        usage: total,
        finishReason: done?.finishReason ?? "stop",
        complete: true,
        attempts: attempt,
        ...(done?.cachedContent ? { cachedContent: done.cachedContent } : {}),
      };
      return;
    }
    problem = reply.problem;
    history = [...history, { question: ask, answer: text }];
    ask = `That reply does not match the schema: ${problem}. ${replyRule}`;
  }
  if (interrupted) throw interrupted;
  throw new InvalidAnswerError(`The model's answer did not match the schema, twice: ${problem}`, {
    data: { problem },
  });
}

/** The reply's data and sources, or what is wrong with it. */
function readReply(
  text: string,
  schema: ReturnType<typeof compileSchema>,
): { data: unknown; sources: string[] } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message})` };
  }
  if (typeof value !== "object" || value === null || !("data" in value))
    return { problem: 'it has no "data" property' };
  const { data, sources } = value as { data: unknown; sources?: unknown };
  const problem = schema.check(data);
  if (problem !== undefined) return { problem };
  const list = Array.isArray(sources) ? sources.map((source) => String(source).replace(/^\[|\]$/g, "")) : [];
  return { data, sources: list };
}
