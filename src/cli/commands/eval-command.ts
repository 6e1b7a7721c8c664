import { createHash } from "node:crypto";
import { homedir } from "node:os";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { type EvalModeReport, type EvalReport, runEval, type SearchMode } from "../../index.js";
import { describeNotice, jsonReport } from "../describe.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { formatCount, formatDuration, Output } from "../output.js";
import { ProgressLine } from "../progress.js";
import { parsePositiveInteger } from "./parse.js";

interface EvalCommandOptions {
  corpus: string;
  queries: string;
  qrels: string;
  mode?: SearchMode[];
  k?: number[];
  work?: string;
  chunkTokens?: number;
  perQuery?: boolean;
}

const modes = ["lexical", "vector", "hybrid"] as const;

/** Collects `--mode` values, repeated or space-separated. */
function collectMode(value: string, previous: SearchMode[] | undefined): SearchMode[] {
  if (!(modes as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${modes.join(", ")}, got "${value}".`);
  return [...(previous ?? []), value as SearchMode];
}

/** Collects `--k` cutoffs: `--k 10`, `--k 1 5 10` or `--k 1,5,10`. */
function collectCutoffs(value: string, previous: number[] | undefined): number[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .filter(Boolean)
      .map((part) => parsePositiveInteger(part.trim())),
  ];
}

/**
 * Where an evaluation keeps its documents and index unless `--work` says otherwise: a cache
 * folder per corpus file, so a second run reuses the index and nothing lands in the project.
 */
function defaultWork(io: CliIO, corpus: string): string {
  const absolute = path.resolve(io.cwd, corpus);
  const cache = io.env.XDG_CACHE_HOME?.trim() || path.join(io.env.HOME?.trim() || homedir(), ".cache");
  const name = path.basename(path.dirname(absolute)).replace(/[^A-Za-z0-9._-]+/g, "_") || "corpus";
  return path.join(
    cache,
    "gemindex",
    "eval",
    `${name}-${createHash("sha256").update(absolute).digest("hex").slice(0, 8)}`,
  );
}

export function registerEvalCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("eval")
    .description(
      "Measure retrieval quality on a BEIR-format data set: recall@k, MRR@10, nDCG@10 and latency per search mode.",
    )
    .requiredOption("--corpus <file>", 'corpus.jsonl: one {"_id", "title", "text"} per line')
    .requiredOption("--queries <file>", 'queries.jsonl: one {"_id", "text"} per line')
    .requiredOption("--qrels <file>", "qrels TSV with a header: query-id, corpus-id, score (score > 0 is relevant)")
    .option(
      "--mode <modes...>",
      "vector, lexical and/or hybrid (default: all; without GEMINI_API_KEY only lexical runs)",
      collectMode,
    )
    .option("--k <cutoffs...>", "recall cutoffs, e.g. --k 10 or --k 1,5,10,100 (default 1 5 10 100)", collectCutoffs)
    .option(
      "--work <dir>",
      "folder for the documents and the index, reused between runs (default: a cache folder per corpus)",
    )
    .option(
      "--chunk-tokens <n>",
      "target chunk size in tokens (default: the index command's default)",
      parsePositiveInteger,
    )
    .option("--per-query", "with --json, include each query's top 10 documents, nDCG@10 and reciprocal rank")
    .addHelpText(
      "after",
      `
The corpus is written as one Markdown file per document (# title, then the text) and indexed
incrementally: evaluating the same corpus again embeds nothing. Hits count per document (a
document's best chunk). Only queries with a relevant judgment are run, as in BEIR.

Exit codes: 0 done, 2 bad usage or a bad input file (the message names file and line), 4 the model API failed.

Examples:
  $ gemindex eval --corpus scifact/corpus.jsonl --queries scifact/queries.jsonl --qrels scifact/qrels/test.tsv
  $ gemindex eval --corpus c.jsonl --queries q.jsonl --qrels q.tsv --mode lexical hybrid --k 10 --json`,
    )
    .action(async (options: EvalCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const online = Boolean(io.env.GEMINI_API_KEY?.trim());
      if (!online)
        output.notice(
          "no GEMINI_API_KEY set: evaluating lexical (BM25) search only; set GEMINI_API_KEY to evaluate vector and " +
            "hybrid search.",
        );
      const work = path.resolve(io.cwd, options.work ?? defaultWork(io, options.corpus));
      const progress = new ProgressLine(output);
      let lastSearchDraw = 0;
      let report: EvalReport;
      try {
        report = await runEval({
          corpus: path.resolve(io.cwd, options.corpus),
          queries: path.resolve(io.cwd, options.queries),
          qrels: path.resolve(io.cwd, options.qrels),
          work,
          modes: options.mode ?? [...modes],
          k: options.k,
          chunking: options.chunkTokens === undefined ? undefined : { maxTokens: options.chunkTokens },
          open: { env: io.env },
          perQuery: options.perQuery,
          signal: io.signal,
          onProgress: (event) => {
            if (event.phase === "indexing") progress.update(event.index);
            else if (event.phase === "searching" && output.interactive && Date.now() - lastSearchDraw >= 100) {
              lastSearchDraw = Date.now();
              output.stderr(
                `\r\x1b[2Ksearching (${event.mode}) · ${formatCount(event.done)}/${formatCount(event.total)} queries`,
              );
            }
          },
        });
      } finally {
        progress.end();
        if (lastSearchDraw > 0) output.stderr("\r\x1b[2K");
      }
      output.emitJson(jsonReport(report));
      for (const notice of report.notices) output.notice(describeNotice(notice));
      output.print(summarize(report, io.cwd));
      output.print("");
      output.print(formatTable(report));
      done(ExitCode.ok);
    });
}

/** Where the numbers come from, in two lines. */
function summarize(report: EvalReport, cwd: string): string {
  const { files } = report.index;
  const shown = path.relative(cwd, report.work);
  const work = shown && !shown.startsWith("..") ? shown : report.work;
  return [
    `Evaluated ${formatCount(report.queries.evaluated)} queries against ${formatCount(report.corpus.documents)} ` +
      `documents in ${formatDuration(report.durationMs)}.`,
    `Index ${work}: ${files.new} new, ${files.changed} changed, ${files.unchanged} unchanged, ${files.removed} ` +
      `removed, ${files.failed} failed.`,
  ].join("\n");
}

/** One row per mode, columns aligned; a skipped mode says why. */
export function formatTable(report: EvalReport): string {
  const header = ["mode", "nDCG@10", "MRR@10", ...report.k.map((k) => `recall@${k}`), "queries", "p50 ms", "p95 ms"];
  const rows = report.modes
    .filter((mode): mode is Extract<EvalModeReport, { status: "completed" }> => mode.status === "completed")
    .map((mode) => [
      mode.mode,
      mode.metrics.ndcgAt10.toFixed(4),
      mode.metrics.mrrAt10.toFixed(4),
      ...report.k.map((k) => mode.metrics.recall[String(k)]!.toFixed(4)),
      formatCount(mode.queries),
      mode.latencyMs.p50.toFixed(1),
      mode.latencyMs.p95.toFixed(1),
    ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const mode of report.modes)
    if (mode.status === "skipped") lines.push(`${mode.mode.padEnd(widths[0]!)}  skipped: ${mode.reason}`);
  return lines.join("\n");
}
