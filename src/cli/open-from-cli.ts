import { type GemIndex, type OpenIndexOptions, openIndex } from "../index.js";
import type { CliIO, GlobalOptions } from "./io.js";

/** Opens the index the way every command does: env from the CLI's io, flags on top. */
export function openFromCli(
  io: CliIO,
  global: GlobalOptions,
  extra: Partial<OpenIndexOptions> = {},
): Promise<GemIndex> {
  return openIndex({ env: io.env, cwd: io.cwd, ...(global.db ? { uri: global.db } : {}), ...extra });
}

/** Runs `use` with the index open, and closes it whatever happens. */
export async function withIndex<T>(
  io: CliIO,
  global: GlobalOptions,
  use: (index: GemIndex) => Promise<T>,
  extra: Partial<OpenIndexOptions> = {},
): Promise<T> {
  const index = await openFromCli(io, global, extra);
  try {
    return await use(index);
  } finally {
    await index.close();
  }
}

/** The one-line notice shown when no key is configured. */
export const offlineNotice =
  "no GEMINI_API_KEY set: showing BM25-ranked passages (full-text search); set GEMINI_API_KEY for semantic " +
  "search and generated answers.";
