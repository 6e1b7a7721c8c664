import type { Command } from "commander";
import type { BatchJobRecord } from "../../index.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { Output } from "../output.js";
import { parsePositiveInteger } from "./parse.js";

function describeJob(job: BatchJobRecord): string {
  const remote = job.remoteState && job.state === "submitted" ? ` (service: ${job.remoteState})` : "";
  return (
    `${job.id}  ${job.state}${remote}  ${job.documents} documents, ${job.inputs} chunks  ` +
    `${job.batchId ?? "-"}  created ${job.createdAt}`
  );
}

export function registerBatchCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  const batch = program
    .command("batch")
    .description("Batch API jobs (half-price embeddings for large corpora): list, status, collect, cancel.")
    .addHelpText(
      "after",
      `
\`gemindex index\` submits a job when more chunks need embedding than --batch-threshold (or with --batch
always); the documents enter the index when the job is collected, by \`gemindex batch collect\` or by the next
\`gemindex index\`.`,
    );

  batch
    .command("list")
    .description("List the jobs recorded in the index.")
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const jobs = await index.batchJobs();
        output.emitJson({ jobs });
        if (jobs.length === 0) output.print("No batch jobs.");
        for (const job of jobs) output.print(describeJob(job));
        done(ExitCode.ok);
      });
    });

  batch
    .command("status")
    .description("Show a job and what the service says about it now.")
    .argument("<job>", "our job id (job-…) or the service's (batches/…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const { job, remote } = await index.batchStatus(id, { signal: io.signal });
        output.emitJson({ job, remote: remote ?? null });
        output.print(describeJob(job));
        if (remote) {
          const counts = remote.counts
            ? ` — ${remote.counts.completed ?? "?"} of ${remote.counts.total ?? "?"} done, ` +
              `${remote.counts.failed ?? 0} failed`
            : "";
          output.print(`Service: ${remote.state}${counts}${remote.error ? ` — ${remote.error}` : ""}`);
        }
        done(ExitCode.ok);
      });
    });

  batch
    .command("collect")
    .description("Write the documents of finished jobs into the index.")
    .argument("[job]", "only this job")
    .option("--wait", "poll until no job is running")
    .option("--poll-seconds <n>", "seconds between polls with --wait", parsePositiveInteger, 30)
    .action(async (id: string | undefined, options: { wait?: boolean; pollSeconds: number }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const report = await index.collectBatches({
          only: id,
          wait: options.wait,
          pollMs: options.pollSeconds * 1000,
          signal: io.signal,
        });
        output.emitJson(report);
        output.print(
          `Collected ${report.collected.length} job(s): ${report.documents} documents, ${report.chunks} chunks` +
            (report.retried ? ` (${report.retried} failed lines embedded directly)` : "") +
            (report.running.length ? `; still running: ${report.running.join(", ")}` : "") +
            (report.dropped.length
              ? `; did not finish (documents indexed again next run): ${report.dropped.join(", ")}`
              : "") +
            ".",
        );
        done(ExitCode.ok);
      });
    });

  batch
    .command("cancel")
    .description("Cancel a job; its documents are indexed again by the next run.")
    .argument("<job>", "our job id (job-…) or the service's (batches/…)")
    .action(async (id: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const job = await index.cancelBatch(id, { signal: io.signal });
        output.emitJson({ job });
        output.print(describeJob(job));
        done(ExitCode.ok);
      });
    });
}
