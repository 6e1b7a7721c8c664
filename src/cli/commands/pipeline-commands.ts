import path from "node:path";
import type { Command } from "commander";
import {
  loadPipeline,
  loadPipelines,
  type Pipeline,
  parseShard,
  pipelineRuns,
  type RunRecord,
  runPipeline,
  startScheduler,
  toErrorInfo,
} from "../../index.js";
import { describeError } from "../describe.js";
import { ExitCode, exitCodeOf } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { Output } from "../output.js";
import { describePassedOver, summarize, warningLine } from "./index-command.js";
import { parsePositiveInteger } from "./parse.js";
import { describeWatchEvent, runLine } from "./run-lines.js";

/** The exit code of a finished run, as documented for cron. */
function runExitCode(record: RunRecord): number {
  if (record.error) return exitCodeOf(record.error.code);
  return record.files.failed > 0 ? ExitCode.someFilesFailed : ExitCode.ok;
}

export function registerPipelineCommands(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("run")
    .description(
      "Run one incremental re-index of a pipeline (pipelines/<name>.json or a file). Quiet unless something " +
        "failed: safe for cron.",
    )
    .argument("<pipeline>", "pipeline name or file")
    .option("-v, --verbose", "print the run summary even when all went well")
    .option("--shard <i/n>", "be worker i (0-based) of n running this pipeline at once (env GEMINDEX_SHARD)")
    .addHelpText(
      "after",
      `
Exit codes: 0 done, 2 bad pipeline file or configuration, 3 some files failed, 4 the model API failed,
5 another run holds the index (nothing done), 7 stopped at limits.maxCostUsd, 130 stopped by a signal.
Finished work is always committed; the next run continues where this one stopped.

Crontab:   0 * * * *  cd /srv/docs && npx gemindex run sample-docs`,
    )
    .action(async (reference: string, options: { verbose?: boolean; shard?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const shardText = options.shard ?? (io.env.GEMINDEX_SHARD?.trim() || undefined);
      const pipeline = await loadPipeline(reference, { cwd: io.cwd });
      const { report, record } = await runPipeline(pipeline, {
        env: io.env,
        cwd: io.cwd,
        shard: shardText === undefined ? undefined : parseShard(shardText),
        signal: io.signal,
        collectGarbage: true,
      });
      output.emitJson(record);
      const code = runExitCode(record);
      const speak = code !== ExitCode.ok || options.verbose;
      // A quiet run still names what it left out of a file (a page, a linked image, cut cells);
      // a file read whole in another form (a GIF as PNG, Shift_JIS decoded) is told only with the rest.
      for (const warning of report.warnings)
        if (speak || warning.kind === "incomplete") output.notice(warningLine(warning));
      if (speak) {
        for (const failure of report.failures) output.warn(`skipped ${failure.path}: ${failure.reason}`);
        for (const line of describePassedOver(report.passedOver, io.cwd)) output.notice(line);
        if (report.error) output.warn(describeError(report.error));
        output.print(`${pipeline.name}: ${summarize(report, io.cwd)}`);
      }
      done(code);
    });

  program
    .command("runs")
    .description("Show the run history of a pipeline (or of the index given with --db).")
    .argument("[pipeline]", "pipeline name or file")
    .option("-n, --limit <n>", "how many runs", parsePositiveInteger, 20)
    .action(async (reference: string | undefined, options: { limit: number }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const runs: RunRecord[] = reference
        ? await pipelineRuns(await loadPipeline(reference, { cwd: io.cwd }), { env: io.env, limit: options.limit })
        : await withIndex(io, global, (index) => index.runs({ limit: options.limit }));
      output.emitJson({ runs });
      if (runs.length === 0) output.print("No runs recorded yet.");
      for (const run of runs) output.print(runLine(run));
      done(ExitCode.ok);
    });

  program
    .command("schedule")
    .description(
      "Run pipelines on their schedules until stopped (SIGTERM/SIGINT finish the work in flight, commit, and exit 0).",
    )
    .argument("[pipelines...]", "pipeline names or files (default: every pipeline with a schedule in ./pipelines)")
    .action(async (references: string[], _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      let pipelines: Pipeline[];
      if (references.length > 0)
        pipelines = await Promise.all(references.map((reference) => loadPipeline(reference, { cwd: io.cwd })));
      else {
        const loaded = await loadPipelines(path.join(io.cwd, "pipelines"));
        for (const error of loaded.errors) output.warn(describeError(toErrorInfo(error)));
        pipelines = loaded.pipelines.filter((pipeline) => pipeline.schedule || pipeline.watch);
      }
      if (pipelines.length === 0) {
        output.warn(
          'no pipeline with a schedule or "watch": true: add one to pipelines/ (see pipelines/sample-docs.json).',
        );
        done(ExitCode.config);
        return;
      }
      const log = (text: string) => output.print(`${new Date().toISOString()} ${text}`);
      const scheduler = startScheduler(pipelines, {
        env: io.env,
        cwd: io.cwd,
        collectGarbage: true,
        onEvent: (event) => {
          if (event.type === "scheduled")
            log(
              `${event.pipeline}: "${event.cron}" (${event.timezone}), next at ` +
                `${event.next.map((date) => date.toISOString()).join(", ")}`,
            );
          else if (event.type === "run-start") log(`${event.pipeline}: run started`);
          else if (event.type === "run-end") log(`${event.pipeline}: ${runLine(event.record)}`);
          else if (event.type === "run-error")
            log(`${event.pipeline}: run failed: ${describeError(toErrorInfo(event.error))}`);
          else if (event.type === "skipped") log(`${event.pipeline}: tick skipped: ${event.reason}`);
          else if (event.type === "watch") {
            const line = describeWatchEvent(event.event, io.cwd);
            if (line) log(`${event.pipeline}: ${line}`);
          } else log(`stopping${event.running.length ? `; finishing ${event.running.join(", ")}` : ""}`);
        },
      });
      output.emitJson({
        pipelines: scheduler
          .nextRuns()
          .map((entry) => ({ pipeline: entry.pipeline, next: entry.next.map((date) => date.toISOString()) })),
      });
      await new Promise<void>((resolve) => {
        if (!io.signal) return;
        if (io.signal.aborted) resolve();
        else io.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await scheduler.stop();
      log("stopped");
      done(ExitCode.ok);
    });
}
