import type { Command } from "commander";
import { describeEmbedding } from "../../index.js";
import { describeError } from "../describe.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { escapeControl, formatCount, formatDuration, Output } from "../output.js";
import { atLeast } from "./run-lines.js";

export function registerStatusCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("status")
    .description("Show what the index holds: documents, chunks, embedding model and dimensions, the last run.")
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const status = await index.status();
        output.emitJson(status);
        if (!status.exists) {
          output.print(`No index at ${escapeControl(status.uri)} yet. Create one with: gemindex index <paths...>`);
        } else {
          output.print(`Index:      ${escapeControl(status.uri)}`);
          output.print(
            `Documents:  ` +
              `${formatCount(status.documents)}${status.failedDocuments ? ` (+${status.failedDocuments} failed)` : ""}`,
          );
          output.print(`Chunks:     ${formatCount(status.chunks)}`);
          output.print(`Embeddings: ${describeEmbedding(status.embedding)}`);
          if (status.lastRun) {
            const run = status.lastRun;
            output.print(
              `Last run:   ${run.startedAt} (${run.outcome}, ${formatDuration(run.durationMs)}): ${run.files.new} ` +
                (`new, ${run.files.changed} changed, ${run.files.unchanged} unchanged, ${run.files.removed} ` +
                  `removed, ${run.files.failed} failed`),
            );
            if (run.outcome !== "completed")
              output.print(
                `            ${run.outcome} early with ${atLeast(run)}${formatCount(run.filesLeft ?? 0)} file(s) ` +
                  `left${run.error ? `: ${describeError(run.error)}` : ""} (run \`gemindex index\` again to continue)`,
              );
          }
          for (const failure of status.failures)
            output.print(`  failed: ${escapeControl(failure.path)}: ${escapeControl(failure.reason)}`);
        }
        done(ExitCode.ok);
      });
    });
}
