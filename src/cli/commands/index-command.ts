import type { Command } from "commander";
import { displayPath, type FileWarning, type IndexReport, parseShard, type SkippedEntry } from "../../index.js";
import { describeError, describeNotice, jsonReport, providerFailure } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { openFromCli } from "../open-from-cli.js";
import { escapeControl, formatCount, formatDuration, Output, plural } from "../output.js";
import { ProgressLine, WaitLog } from "../progress.js";
import {
  addEmbeddingOptions,
  addSelectionOptions,
  oneOf,
  parseNonNegativeInteger,
  parsePositiveInteger,
} from "./parse.js";

interface IndexCommandOptions {
  include?: string[];
  exclude?: string[];
  reset?: boolean;
  prune?: boolean;
  followSymlinks?: boolean;
  model?: string;
  dimensions?: number;
  taskTypes?: "auto" | "off";
  chunkTokens?: number;
  chunkOverlap?: number;
  concurrency?: number;
  rpm?: number;
  tpm?: number;
  tier?: "free" | "1" | "2" | "3";
  retryFailed?: boolean;
  maxFileMb?: number;
  commitEvery?: number;
  batch: "auto" | "always" | "never";
  annThreshold: number;
  batchThreshold?: number;
  shard?: string;
}

export function registerIndexCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  addEmbeddingOptions(
    addSelectionOptions(
      program
        .command("index")
        .description(
          "Index files and folders incrementally: new and changed files are embedded, unchanged ones skipped, " +
            "deleted ones removed.",
        )
        .argument(
          "[paths...]",
          'files, folders or quoted glob patterns ("docs/**/*.md") to index; .gitignore files and default excludes ' +
            "apply. None: update the folders the index already holds, under the rules they were indexed with",
        ),
    ),
  )
    .option("--chunk-tokens <n>", "target chunk size in tokens (default 512)", parsePositiveInteger)
    .option(
      "--chunk-overlap <n>",
      "tokens shared by consecutive chunks (default 64, less for small chunks)",
      parseNonNegativeInteger,
    )
    .option(
      "--concurrency <n>",
      "most embedding requests in flight: starts at 4, grows while requests succeed, halves on quota 429s " +
        "(default 32)",
      parsePositiveInteger,
    )
    .option(
      "--tier <tier>",
      "preset --rpm/--tpm to a Gemini usage tier's embedding limits: free (100 RPM, 30K TPM), 1, 2 or 3 (default: " +
        "learn the quota from the service)",
      oneOf(["free", "1", "2", "3"] as const),
    )
    .option(
      "--rpm <n>",
      "stay under this many embedding requests per minute (each input counts as one on Gemini)",
      parsePositiveInteger,
    )
    .option("--tpm <n>", "stay under this many embedding tokens per minute", parsePositiveInteger)
    .option("--retry-failed", "retry files that failed before even if they did not change")
    .option("--max-file-mb <n>", "skip files larger than this many MiB", parsePositiveInteger, 50)
    .option(
      "--commit-every <chunks>",
      "commit after this many chunks (smaller loses less work to a crash)",
      parsePositiveInteger,
      2000,
    )
    .option(
      "--batch <mode>",
      "embed through the Batch API (half price, within 24 h): auto, always or never",
      oneOf(["auto", "always", "never"] as const),
      "auto",
    )
    .option(
      "--batch-threshold <chunks>",
      "with --batch auto, use the Batch API above this many chunks to embed",
      parsePositiveInteger,
      20_000,
    )
    .option(
      "--ann-threshold <chunks>",
      "build the ANN index for fast vector search once the index holds this many chunks",
      parsePositiveInteger,
      20_000,
    )
    .option("--follow-symlinks", "follow symbolic links that lead out of the folders being indexed")
    .option("--reset", "drop the index and rebuild it (needed to change model or dimensions)")
    .option("--prune", "remove documents even when a folder vanished or most of its files are gone")
    .option(
      "--shard <i/n>",
      "be worker i (0-based) of n indexing the same paths into one index at once: embed and write only the " +
        "documents whose path hash falls in this shard (env GEMINDEX_SHARD)",
    )
    .addHelpText(
      "after",
      `
Exit codes: 0 done, 2 bad usage or configuration, 3 some files failed (see the list), 4 the model API failed
(finished documents are kept; run again to resume), 5 another process is writing this index, 130 interrupted.
A file the service refuses (too long, unsupported, blocked) fails alone; it is retried once it changes, or with
--retry-failed. Requests are sized and paced to the quota (--tier, --rpm/--tpm, or the limit a 429 names).

Examples:
  $ gemindex index docs/ notes/
  $ gemindex index                      # update what the index already holds
  $ gemindex index "docs/**/*.md" "notes/*.txt"
  $ gemindex index . --include "**/*.md" --exclude "drafts/**"
  $ gemindex index docs/ --model gemini-embedding-2-preview --dimensions 1536 --reset
  $ gemindex --db s3://bucket/team-index index /data/docs --shard 0/4   # one of 4 workers`,
    )
    .action(async (paths: string[], options: IndexCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const shardText = options.shard ?? (io.env.GEMINDEX_SHARD?.trim() || undefined);
      const shard = shardText === undefined ? undefined : parseShard(shardText);
      const index = await openFromCli(io, global, {
        embeddingModel: options.model,
        dimensions: options.dimensions,
        taskTypes: options.taskTypes,
      });
      const progress = new ProgressLine(output);
      const waits = new WaitLog(output);
      let report: IndexReport;
      try {
        if (!index.online)
          output.notice(
            "no GEMINI_API_KEY set: building a lexical (BM25) index only; set GEMINI_API_KEY to add embeddings.",
          );
        // No paths: the index's own folders, each under the include/exclude its last run applied.
        const sources = paths.length > 0 ? paths : await index.sourceRules();
        report = await index.index(sources, {
          include: options.include,
          exclude: options.exclude,
          reset: options.reset,
          prune: options.prune,
          followSymlinks: options.followSymlinks,
          chunking: { maxTokens: options.chunkTokens, overlapTokens: options.chunkOverlap },
          concurrency: options.concurrency,
          commitEvery: options.commitEvery,
          batch: options.batch,
          annThreshold: options.annThreshold,
          // A CLI process is ours alone: keeping garbage down is worth a few percent of time.
          collectGarbage: true,
          batchThreshold: options.batchThreshold,
          rpm: options.rpm,
          tpm: options.tpm,
          tier: options.tier,
          retryFailed: options.retryFailed,
          maxFileBytes: options.maxFileMb === undefined ? undefined : options.maxFileMb * 1024 * 1024,
          shard,
          signal: io.signal,
          onProgress: (event) => {
            progress.update(event);
            waits.update(event);
          },
        });
      } finally {
        progress.end();
        await index.close();
      }
      output.emitJson(jsonReport(report));
      for (const failure of report.failures) output.warn(`skipped ${failure.path}: ${failure.reason}`);
      for (const warning of report.warnings) output.notice(warningLine(warning));
      for (const line of describePassedOver(report.passedOver, io.cwd)) output.notice(line);
      // The offline notice was shown before the run, in the CLI's words.
      for (const notice of report.notices) if (notice.kind !== "lexical-only") output.notice(describeNotice(notice));
      if (!output.quiet || report.outcome !== "completed") output.print(summarize(report, io.cwd));
      if (report.error) {
        const resume = providerFailure(report.error.code)
          ? " Finished documents are kept; run again later to continue."
          : "";
        output.warn(`${describeError(report.error)}${resume}`);
        done(exitCodeOf(report.error.code));
      } else done(report.files.failed > 0 ? ExitCode.someFilesFailed : ExitCode.ok);
    });
}

/** A file's warning as one line: what was converted or left out of it. */
export function warningLine(warning: FileWarning): string {
  return `note: ${warning.path}: ${warning.message}`;
}

/** Lines shown per kind of passed-over entry; the rest are counted. */
const PASSED_OVER_LINES = 20;

/** One line per entry discovery passed over on purpose (at most 20 of each kind, then a count). */
export function describePassedOver(entries: readonly SkippedEntry[], cwd: string): string[] {
  const lines: string[] = [];
  const shown = new Map<string, number>();
  for (const entry of entries) {
    const count = (shown.get(entry.code) ?? 0) + 1;
    shown.set(entry.code, count);
    if (count <= PASSED_OVER_LINES) lines.push(passedOverLine(entry, cwd));
  }
  for (const [code, count] of shown)
    if (count > PASSED_OVER_LINES)
      lines.push(`… and ${formatCount(count - PASSED_OVER_LINES)} more ${passedOverKind(code)} passed over.`);
  return lines;
}

function passedOverLine(entry: SkippedEntry, cwd: string): string {
  const shown = displayPath(entry.path, cwd);
  switch (entry.code) {
    case "symlink-outside-root":
      return (
        `not followed: ${shown} -> ${entry.target ?? "?"}: points outside the indexed folder ` +
        `(--follow-symlinks follows it)`
      );
    case "special-file":
      return `passed over ${shown}: a ${entry.detail ?? "special file"}, not a regular file`;
    case "pseudo-file-system": {
      const system = entry.detail ?? "kernel";
      return `passed over ${shown}: on the ${system} pseudo-file-system (kernel files, not documents)`;
    }
    default:
      return `passed over ${shown}`;
  }
}

function passedOverKind(code: string): string {
  if (code === "symlink-outside-root") return "links pointing outside the indexed folder";
  if (code === "special-file") return "special files";
  return "entries on pseudo-file-systems";
}

/** The run in one or two lines. */
export function summarize(report: IndexReport, cwd: string): string {
  const { files, chunks } = report;
  const verb =
    report.outcome === "completed"
      ? "Indexed"
      : report.outcome === "interrupted"
        ? "Interrupted after indexing"
        : "Stopped after indexing";
  const skipped = files.skipped ? `, ${files.skipped} of unsupported types skipped` : "";
  const lines = [
    `${verb} ${escapeControl(displayPath(report.uri, cwd))}: ${files.new} new, ${files.changed} changed, ` +
      `${files.unchanged} unchanged, ${files.removed} removed, ${files.failed} failed ` +
      `(${plural(files.seen, "file")} seen${skipped}) in ${formatDuration(report.durationMs)}.`,
  ];
  if (chunks.written > 0 || report.requests > 0) {
    const cost = report.estimatedCostUsd === undefined ? "" : `, ~$${report.estimatedCostUsd.toFixed(4)}`;
    const embedding = report.embedding
      ? `; ${plural(chunks.embedded, "chunk")} embedded in ${plural(report.requests, "request")} ` +
        `(~${plural(report.tokens, "token")}${cost}), ${chunks.reused} reused`
      : "";
    lines.push(`${plural(chunks.written, "chunk")} written${embedding}.`);
  }
  if (report.shard)
    lines.push(
      `Shard ${report.shard.index}/${report.shard.count}: ` +
        `${plural(report.shard.otherFiles, "file")} left to the other shards.`,
    );
  if (report.outcome !== "completed" && report.filesLeft > 0)
    lines.push(
      `${report.moreFilesLeft ? "At least " : ""}${plural(report.filesLeft, "file")} left: ` +
        "run the same command again to continue.",
    );
  return lines.join("\n");
}
