import { openIndex, type GemIndex, type OpenIndexOptions } from "../index.js";
import type { CliIO, GlobalOptions } from "./io.js";

/** Opens the index the way every command does: env from the CLI's io, flags on top. */
export function openFromCli(io: CliIO, global: GlobalOptions, extra: Partial<OpenIndexOptions> = {}): Promise<GemIndex> {
  return openIndex({ env: io.env, cwd: io.cwd, ...(global.db ? { uri: global.db } : {}), ...extra });
}

/** The one-line notice shown when no key is configured. */
export const offlineNotice =
  "no GEMINI_API_KEY set: showing BM25-ranked passages from the full-text index; set GEMINI_API_KEY for semantic search and generated answers.";
