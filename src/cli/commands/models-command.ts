import type { Command } from "commander";
import type { ServiceModel } from "../../index.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { formatCount, Output } from "../output.js";

export function registerModelsCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command("models")
    .description(
      "List the embedding and chat models this key can use, with token limits and methods (needs GEMINI_API_KEY).",
    )
    .addHelpText(
      "after",
      `
gemindex checks --model (index and query) against this list before any other request; runs keep
it in the index for a day.

Examples:
  $ gemindex models
  $ gemindex models --json`,
    )
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const { fetchedAt, models } = await index.models({ signal: io.signal });
        const embedding = models.filter((model) => model.kind === "embedding");
        const chat = models.filter((model) => model.kind === "chat");
        output.emitJson({ fetchedAt, embedding, chat });
        printGroup(output, "Embedding models", embedding);
        printGroup(output, "Chat models", chat);
        if (models.some((model) => model.methods === undefined))
          output.notice("this service lists model ids only: kinds are guessed from the ids, limits are unknown.");
        done(ExitCode.ok);
      });
    });
}

function printGroup(output: Output, title: string, models: ServiceModel[]): void {
  output.print(`${title} (${models.length}):`);
  if (models.length === 0) output.print("  none");
  const width = Math.max(0, ...models.map((model) => model.id.length));
  for (const model of models) {
    const limits = [
      model.inputTokenLimit === undefined ? undefined : `in ${formatCount(model.inputTokenLimit)}`,
      model.outputTokenLimit === undefined || model.kind !== "chat"
        ? undefined
        : `out ${formatCount(model.outputTokenLimit)}`,
    ].filter(Boolean);
    const methods = model.methods?.length ? `  ${model.methods.join(", ")}` : "";
    output.print(`  ${model.id.padEnd(width)}  ${limits.length ? `${limits.join(" / ")} tokens` : ""}${methods}`);
  }
}
