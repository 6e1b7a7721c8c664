import { Command, CommanderError } from "commander";
import { environmentVariables, GemindexError, toErrorInfo } from "../index.js";
import { version } from "../version.js";
import { registerBatchCommand } from "./commands/batch-command.js";
import { registerCacheCommand } from "./commands/cache-command.js";
import { registerChatCommand } from "./commands/chat-command.js";
import { registerEvalCommand } from "./commands/eval-command.js";
import { registerIndexCommand } from "./commands/index-command.js";
import { registerMaintenanceCommands } from "./commands/maintenance-commands.js";
import { registerMcpCommand } from "./commands/mcp-command.js";
import { registerModelsCommand } from "./commands/models-command.js";
import { registerPipelineCommands } from "./commands/pipeline-commands.js";
import { registerQueryCommand } from "./commands/query-command.js";
import { registerStatusCommand } from "./commands/status-command.js";
import { registerWatchCommand } from "./commands/watch-command.js";
import { describeError, jsonError } from "./describe.js";
import { ExitCode, exitCodeOf } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { escapeControl } from "./output.js";

/** Builds the `gemindex` program for one invocation; `done` receives the exit code. */
export function createProgram(io: CliIO, done: (code: number) => void): Command {
  const program = new Command("gemindex")
    .description("Semantic search and answers over your folders, with Gemini embeddings and a local LanceDB index.")
    .version(version, "-V, --version")
    .option("--db <uri>", "index location: a folder or a LanceDB URI (env GEMINDEX_DB, default data/index)")
    .option("--json", "print one JSON object on stdout and nothing else")
    .option("-q, --quiet", "print only errors and results")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      // Usage errors quote the arguments given, which may hold anything.
      writeOut: (text) => io.stdout.write(escapeControl(text, { newlines: "keep" })),
      writeErr: (text) => io.stderr.write(escapeControl(text, { newlines: "keep" })),
    })
    .addHelpText(
      "after",
      `
Environment:
${Object.entries(environmentVariables)
  .map(([name, text]) => `  ${name.padEnd(26)}${text}`)
  .join("\n")}
  GEMINDEX_SHARD            this worker's shard for index, i/n (like --shard)
  AWS_*, GOOGLE_*, AZURE_STORAGE_*  credentials and endpoint of an index on object storage
                            (--db s3://bucket/prefix, gs://…, az://…; see the README)

Without GEMINI_API_KEY everything works offline on the full-text (BM25) index,
and queries print cited passages instead of a generated answer.`,
    );
  registerIndexCommand(program, io, done);
  registerQueryCommand(program, io, done);
  registerChatCommand(program, io, done);
  registerCacheCommand(program, io, done);
  registerModelsCommand(program, io, done);
  registerStatusCommand(program, io, done);
  registerBatchCommand(program, io, done);
  registerEvalCommand(program, io, done);
  registerMaintenanceCommands(program, io, done);
  registerPipelineCommands(program, io, done);
  registerMcpCommand(program, io, done);
  registerWatchCommand(program, io, done);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let code: number = ExitCode.ok;
  const program = createProgram(io, (exitCode) => (code = exitCode));
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.config;
    }
    if (io.signal?.aborted) {
      io.stderr.write("gemindex: interrupted.\n");
      return ExitCode.interrupted;
    }
    const known = error instanceof GemindexError;
    const info = toErrorInfo(error);
    const message = describeError(info);
    io.stderr.write(
      `gemindex: ${escapeControl(known ? message : `unexpected error: ${message}`, { newlines: "keep" })}\n`,
    );
    if (json) io.stdout.write(`${JSON.stringify({ error: jsonError(info) }, null, 2)}\n`);
    if (!known && error instanceof Error && io.env.GEMINDEX_DEBUG) io.stderr.write(`${error.stack}\n`);
    return exitCodeOf(info.code);
  }
}
