import type { Command } from "commander";
import { describeEmbedding, type HealthReport, type RepairResult } from "../../index.js";
import { describeError, describeNotice, describeRepairAction, jsonNotice, jsonReport } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { escapeControl, formatCount, formatDuration, Output, plural } from "../output.js";
import { summarize } from "./index-command.js";
import { parsePositiveInteger } from "./parse.js";

/** What `doctor --repair` did, one line per action, then the re-indexing run's summary. */
function printRepair(output: Output, repaired: RepairResult, cwd: string): void {
  if (repaired.actions.length === 0 && !repaired.reindexed) output.print("Repair:       nothing to repair");
  for (const action of repaired.actions) output.print(`Repair:       ${describeRepairAction(action)}`);
  if (repaired.reindexed) {
    for (const notice of repaired.reindexed.notices)
      if (notice.kind !== "lexical-only") output.notice(describeNotice(notice));
    output.print(`Re-indexed:   ${summarize(repaired.reindexed, cwd).replace(/\n/g, "\n              ")}`);
  }
  const pending = repaired.pending;
  if (pending?.reason === "needs-api-key")
    output.warn(
      `${pending.documents} documents need re-indexing, which needs GEMINI_API_KEY (the index has vectors): set it ` +
        `and run \`gemindex doctor --repair\` again.`,
    );
  else if (pending?.reason === "failed" && pending.error) output.warn(describeError(pending.error));
  else if (pending?.reason === "not-found")
    output.warn(
      `${pending.documents} documents could not be re-indexed: their files are gone or moved (\`gemindex index ` +
        `<new place>\` indexes them; \`--prune\` removes the old entries).`,
    );
}

/** Each table of the index in a few words: `chunks ok (1,234 rows), documents MISSING`. */
function describeTables(report: HealthReport): string {
  if (report.tables.length === 0) return "none";
  return report.tables
    .map((table) =>
      table.state === "ok"
        ? `${table.table} ok (${plural(table.rows, "row")})`
        : table.state === "missing"
          ? `${table.table} MISSING`
          : `${table.table} UNREADABLE${table.unreadableRows ? ` (${plural(table.unreadableRows, "row")})` : ""}`,
    )
    .join(", ");
}

export function registerMaintenanceCommands(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("optimize")
    .description("Compact the index, rebuild its full-text index, and build the ANN index for fast vector search.")
    .option("--ann", "build the ANN index even below the threshold")
    .option(
      "--ann-threshold <chunks>",
      "build the ANN index at or above this many chunks",
      parsePositiveInteger,
      20_000,
    )
    .action(async (options: { ann?: boolean; annThreshold: number }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const report = await index.optimize({ ann: options.ann, annThreshold: options.annThreshold });
        output.emitJson(jsonReport(report));
        for (const notice of report.notices) output.notice(describeNotice(notice));
        output.print(
          `Optimized ${formatCount(report.chunks)} chunks in ${formatDuration(report.durationMs)}: fragments ` +
            `${report.before.fragments} → ${report.after.fragments}, ` +
            `full-text index rebuilt${report.vectorIndexBuilt ? ", ANN index built" : ""}.`,
        );
        done(ExitCode.ok);
      });
    });

  program
    .command("doctor")
    .description(
      "Check the index's health: full-text and ANN coverage, fragments, pending batch jobs, embedding configuration.",
    )
    .option("--ann-threshold <chunks>", "chunks above which an ANN index is expected", parsePositiveInteger, 20_000)
    .option(
      "--repair",
      "repair damage with the least work: rebuild lost tables, keep what damaged files still hold, remove " +
        "duplicates, re-index only documents whose chunks were lost",
    )
    .option("--prune-missing", "remove the documents of folders (or files) that no longer exist")
    .addHelpText(
      "after",
      "\nExits 0 when healthy, 6 when a problem needs action (each comes with the command that fixes it).",
    )
    .action(async (options: { annThreshold: number; repair?: boolean; pruneMissing?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const pruned = options.pruneMissing ? await index.pruneMissingRoots() : undefined;
        for (const root of pruned ?? [])
          output.print(
            `Pruned:       ${root.documents} documents of ${escapeControl(root.path)}, which no longer exists`,
          );
        if (pruned?.length === 0) output.print("Pruned:       nothing (every indexed folder exists)");
        const repaired = options.repair
          ? await index.repair({ annThreshold: options.annThreshold, collectGarbage: true, signal: io.signal })
          : undefined;
        if (repaired) printRepair(output, repaired, io.cwd);
        const report = await index.doctor({ annThreshold: options.annThreshold });
        output.emitJson({
          ...(repaired
            ? { repair: { ...repaired, reindexed: repaired.reindexed ? jsonReport(repaired.reindexed) : undefined } }
            : {}),
          ...(pruned ? { pruned } : {}),
          ...report,
          problems: report.problems.map(jsonNotice),
          warnings: report.warnings.map(jsonNotice),
        });
        const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
        output.print(`Index:        ${escapeControl(report.uri)} (${report.healthy ? "healthy" : "needs attention"})`);
        output.print(`Embeddings:   ${describeEmbedding(report.embedding)}`);
        const failedCount = report.failedDocuments ? ` (+${report.failedDocuments} failed)` : "";
        output.print(
          `Documents:    ${formatCount(report.documents)}${failedCount}, chunks: ${formatCount(report.chunks)}`,
        );
        const fullText = report.fullText.present
          ? `${percent(report.fullText.coverage)} of chunks indexed`
          : "no index";
        output.print(`Full-text:    ${fullText}`);
        output.print(`ANN index:    ${describeAnnIndex(report.vectorIndex)}`);
        output.print(
          `Fragments:    ${report.fragments.fragments} (${report.fragments.small} small), ` +
            `${report.fragments.versions} versions`,
        );
        const jobs = report.batches.active.map((job) => `${job.id} (${job.state})`).join(", ");
        output.print(`Batch jobs:   ${jobs || "none pending"}`);
        output.print(`Tables:       ${describeTables(report)}`);
        for (const problem of report.problems) output.print(`problem: ${escapeControl(describeNotice(problem))}`);
        for (const warning of report.warnings) output.print(`note:    ${escapeControl(describeNotice(warning))}`);
        const failed = repaired?.reindexed?.error;
        done(failed ? exitCodeOf(failed.code) : report.healthy ? ExitCode.ok : ExitCode.unhealthy);
      });
    });
}

/** The ANN index line of `gemindex doctor`. */
function describeAnnIndex(vector: HealthReport["vectorIndex"]): string {
  if (vector.present)
    return `${vector.type}, ${formatCount(vector.indexed)} indexed, ${formatCount(vector.unindexed)} not yet`;
  return vector.needed ? "missing" : `none (not needed below ${formatCount(vector.threshold)} chunks)`;
}
