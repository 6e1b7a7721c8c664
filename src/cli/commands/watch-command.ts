import type { Command } from "commander";
import { type RunRecord, watchSources } from "../../index.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { Output } from "../output.js";
import { addEmbeddingOptions, addSelectionOptions, parsePositiveInteger } from "./parse.js";
import { describeWatchEvent } from "./run-lines.js";

interface WatchCommandOptions {
  include?: string[];
  exclude?: string[];
  debounce: number;
  model?: string;
  dimensions?: number;
  taskTypes?: "auto" | "off";
}

export function registerWatchCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  const selected = addSelectionOptions(
    program
      .command("watch")
      .description(
        "Index folders, then keep the index up to date as files change: a burst of changes becomes one " +
          "incremental run.",
      )
      .argument("<paths...>", "files or folders to watch and index (the same rules as gemindex index)"),
  ).option("--debounce <ms>", "quiet time after the last change before a run starts", parsePositiveInteger, 500);
  addEmbeddingOptions(selected)
    .addHelpText(
      "after",
      `
Each run is recorded in the index's history (gemindex runs --db <index>). The index's write lock
is held only while a run goes. SIGTERM/SIGINT end the run in flight the way Ctrl-C ends
gemindex index (finished documents committed) and exit 0. A pipeline with "watch": true is
watched by gemindex schedule.

Examples:
  $ gemindex watch docs/ notes/
  $ gemindex --db /srv/index watch /srv/docs --exclude "drafts/**" --debounce 2000`,
    )
    .action(async (paths: string[], options: WatchCommandOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      const runs: RunRecord[] = [];
      await withIndex(
        io,
        global,
        async (index) => {
          if (!index.online) output.notice("no GEMINI_API_KEY set: the index is kept for lexical (BM25) search only.");
          const log = (text: string) => output.print(`${new Date().toISOString()} ${text}`);
          const watcher = watchSources(index, paths, {
            debounceMs: options.debounce,
            index: { include: options.include, exclude: options.exclude, collectGarbage: true },
            onEvent: (event) => {
              if (event.type === "run-end") runs.push(event.record);
              const line = describeWatchEvent(event, io.cwd);
              if (line) log(line);
            },
          });
          await new Promise<void>((resolve) => {
            if (!io.signal || io.signal.aborted) return resolve();
            io.signal.addEventListener("abort", () => resolve(), { once: true });
          });
          log("stopping");
          await watcher.stop();
          log("stopped");
        },
        { embeddingModel: options.model, dimensions: options.dimensions, taskTypes: options.taskTypes },
      );
      output.emitJson({ runs });
      done(ExitCode.ok);
    });
}
