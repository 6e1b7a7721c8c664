import type { Command } from "commander";
import type { CachedContext, CacheRegistryEntry } from "../../index.js";
import { ExitCode } from "../exit-codes.js";
import type { CliIO, GlobalOptions } from "../io.js";
import { withIndex } from "../open-from-cli.js";
import { formatCount, Output } from "../output.js";

export function registerCacheCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  const cache = program
    .command("cache")
    .description("Context caches that hold pinned documents between questions: list, delete (needs GEMINI_API_KEY).")
    .addHelpText(
      "after",
      `
\`gemindex query --pin\` and \`gemindex chat --pin\` create a context cache when the pinned documents are
big enough, record it in the index, and reuse it until it expires (10 minutes after its last use).`,
    );

  cache
    .command("list")
    .description("List the caches recorded in this index and every cache the service holds for the key.")
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const { registry, remote } = await index.listCaches({ signal: io.signal });
        output.emitJson({ registry, remote });
        output.print("Recorded in this index:");
        if (registry.length === 0) output.print("  none");
        for (const entry of registry) output.print(`  ${describeEntry(entry)}`);
        output.print("At the service:");
        if (remote.length === 0) output.print("  none");
        for (const item of remote) output.print(`  ${describeRemote(item)}`);
        done(ExitCode.ok);
      });
    });

  cache
    .command("delete")
    .description("Delete a cache at the service and forget it in this index.")
    .argument("<name>", "cachedContents/<id> (or the id alone)")
    .action(async (name: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const output = new Output(io, global);
      await withIndex(io, global, async (index) => {
        const result = await index.deleteCache(name, { signal: io.signal });
        output.emitJson({ name, ...result });
        output.print(
          result.deleted
            ? `Deleted ${name}.`
            : result.forgotten > 0
              ? `${name} was already gone at the service; removed it from this index.`
              : `${name} does not exist (it expired or was deleted) and this index does not record it.`,
        );
        done(ExitCode.ok);
      });
    });
}

function describeEntry(entry: CacheRegistryEntry & { expired: boolean }): string {
  const pins = entry.pins.length > 0 ? entry.pins.join(", ") : "instructions only";
  if (entry.status === "too-small") {
    return (
      `(no cache: too ` +
      (`small${entry.minTokens === undefined ? "" : `, minimum ${formatCount(entry.minTokens)}`})  ${entry.model}  ` +
        `${pins}`)
    );
  }
  const tokens = entry.totalTokens === undefined ? "" : `  ${formatCount(entry.totalTokens)} tokens`;
  return (
    `${entry.name}  ${entry.model}${tokens}  ` +
    `${entry.expired ? "expired" : `expires ${entry.expireTime ?? "?"}`}  ${pins}`
  );
}

function describeRemote(item: CachedContext): string {
  const tokens = item.totalTokens === undefined ? "" : `  ${formatCount(item.totalTokens)} tokens`;
  const label = item.displayName ? `  ${item.displayName}` : "";
  return `${item.name}  ${item.model}${tokens}  expires ${item.expireTime ?? "?"}${label}`;
}
