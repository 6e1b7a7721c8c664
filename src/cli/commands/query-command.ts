import type { Command } from "commander";
import { ExitCode, snippet, type ChatUsage, type Hit, type SearchFilter, type SearchMode } from "../../index.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { offlineNotice, openFromCli } from "../open-from-cli.js";
import { Output } from "../output.js";
import { oneOf, parseNonNegativeInteger, parsePositiveInteger } from "./parse.js";

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
}

export function registerQueryCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("query")
    .description("Search the index and answer a question with cited sources (a streamed Gemini answer when GEMINI_API_KEY is set).")
    .argument("<question...>", "the question or search terms")
    .option("-k, --top <n>", "number of passages to retrieve", parsePositiveInteger, 8)
    .option("--mode <mode>", "vector, lexical or hybrid (default: hybrid with a key, lexical without)", oneOf(["vector", "lexical", "hybrid"] as const))
    .option("--path <globs...>", "only documents whose path matches (e.g. \"docs/**\", \"*.pdf\")")
    .option("--kind <kinds...>", "only these document kinds (markdown, text, code, pdf, ...)")
    .option("--source <roots...>", "only documents indexed from these folders")
    .option("--no-answer", "print the retrieved passages only")
    .option("--model <model>", "chat model (default gemini-3-flash-preview)")
    .option("--reasoning-effort <level>", "minimal, low, medium, high or none", oneOf(["minimal", "low", "medium", "high", "none"] as const))
    .option("--thinking-budget <tokens>", "thinking token budget (not with --reasoning-effort)", parseNonNegativeInteger)
    .option("--thoughts", "show the model's thought summaries")
    .option("--service-tier <tier>", "flex (cheaper, slower) or priority", oneOf(["flex", "priority"] as const))
    .addHelpText(
      "after",
      `
Examples:
  $ gemindex query "how are crashed runs recovered?"
  $ gemindex query "retry policy" --mode lexical --no-answer -k 3
  $ gemindex query "what does chapter 2 say about pricing?" --path "*.pdf" --json`,
    )
    .action(async (words: string[], options: QueryCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const question = words.join(" ");
      const index = await openFromCli(io, global, { chatModel: options.model });
      const filter: SearchFilter = { paths: options.path, kinds: options.kind, sources: options.source };
      const search = { k: options.top, mode: options.mode, filter, signal: io.signal };
      try {
        if (!index.online || !options.answer) {
          const result = await index.search(question, search);
          if (!index.online) output.notice(offlineNotice);
          else for (const notice of result.notices) output.notice(notice);
          printHits(output, result.hits, question, !index.online);
          output.emitJson({ query: question, mode: result.mode, hits: result.hits.map(toJsonHit), answer: null, usage: null, notices: index.online ? result.notices : [offlineNotice, ...result.notices] });
          done(ExitCode.ok);
          return;
        }
        let hits: Hit[] = [];
        let answer = "";
        let usage: ChatUsage | undefined;
        let mode: SearchMode = "hybrid";
        let notices: string[] = [];
        let thinking = false;
        for await (const event of index.answer(question, { ...search, reasoningEffort: options.reasoningEffort, thinkingBudget: options.thinkingBudget, thoughts: options.thoughts, serviceTier: options.serviceTier })) {
          if (event.type === "sources") {
            ({ hits, mode, notices } = event);
            for (const notice of notices) output.notice(notice);
            printHits(output, hits, question, false);
            output.print(hits.length ? "\nAnswer:" : "No passages matched; asking the model anyway.\n\nAnswer:");
          } else if (event.type === "thought") {
            if (!thinking) output.stream("(thinking) ");
            thinking = true;
            output.stream(event.text);
          } else if (event.type === "text-delta") {
            if (thinking) output.stream("\n\n");
            thinking = false;
            output.stream(event.text);
          } else if (event.type === "done") {
            answer = event.text;
            usage = event.usage;
            output.stream("\n");
          }
        }
        output.emitJson({ query: question, mode, hits: hits.map(toJsonHit), answer, usage: usage ?? null, notices });
        done(ExitCode.ok);
      } finally {
        await index.close();
      }
    });
}

/** Numbered hits with citations and the best-matching excerpt; offline they are the answer, so more shows. */
function printHits(output: Output, hits: Hit[], question: string, full: boolean): void {
  if (hits.length === 0) {
    output.print("No passages matched.");
    return;
  }
  for (const hit of hits) {
    const heading = hit.headings.length ? ` — ${hit.headings.join(" > ")}` : "";
    output.print(`[${hit.rank}] ${hit.citation}${heading}`);
    output.print(`    ${snippet(hit.text, question, full ? 400 : 200)}`);
  }
}

/** The JSON shape of a hit: citation parts spelled out for scripts. */
function toJsonHit(hit: Hit): Record<string, unknown> {
  return {
    n: hit.rank,
    score: hit.score,
    scores: hit.scores,
    citation: hit.citation,
    path: hit.displayPath,
    absolutePath: hit.path,
    page: hit.page ?? null,
    lines: hit.lineStart === undefined ? null : { start: hit.lineStart, end: hit.lineEnd ?? hit.lineStart },
    headings: hit.headings,
    kind: hit.kind,
    text: hit.text,
  };
}
