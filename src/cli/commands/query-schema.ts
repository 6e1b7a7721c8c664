import { readFile } from "node:fs/promises";
import path from "node:path";
import { type AnswerOptions, type ChatUsage, type Citation, ConfigError, type GemIndex } from "../../index.js";
import { describeNotice } from "../describe.js";
import { ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";

/** Reads the `--schema` file: a JSON Schema object, or a ConfigError naming the file. */
export async function readSchemaFile(file: string, cwd: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    throw new ConfigError(`--schema ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error}).`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--schema ${file}: not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError(`--schema ${file}: must hold a JSON Schema object.`);
  return value as Record<string, unknown>;
}

/**
 * `gemindex query --schema <file>`: the answer as JSON that matches the schema, on stdout; the
 * sources it came from on stderr (so `> out.json` holds the data alone). `--json` prints
 * `{data, citations, usage}`. A reply that still does not match after one retry ends with exit 4.
 */
export async function queryStructured(
  index: GemIndex,
  question: string,
  options: AnswerOptions & { schema: Record<string, unknown> },
  output: Output,
): Promise<number> {
  let data: unknown;
  let citations: Citation[] = [];
  let usage: ChatUsage | undefined;
  let attempts = 1;
  for await (const event of index.answer(question, options)) {
    if (event.type === "sources") for (const notice of event.notices) output.notice(describeNotice(notice));
    else if (event.type === "done") {
      ({ data, citations, usage } = event);
      attempts = event.attempts ?? 1;
    }
  }
  output.print(JSON.stringify(data, null, 2));
  if (attempts > 1) output.notice("the first reply did not match the schema; the second did.");
  for (const citation of citations) output.notice(`[${citation.n}] ${citation.citation}`);
  output.emitJson({ query: question, data, citations, usage: usage ?? null, attempts });
  return ExitCode.ok;
}
