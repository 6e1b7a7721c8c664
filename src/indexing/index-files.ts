import { IndexRun } from "./index-run.js";
import type { IndexContext, IndexRunResult } from "./run-context.js";
import type { IndexOptions, IndexSource } from "./types.js";

export type { IndexContext, IndexRunResult, RetryEvent } from "./run-context.js";
export { normalizeRoot } from "./run-context.js";

/**
 * One incremental run over `roots` (see {@link IndexRun} for its phases). A bad file is a line in
 * the report; a provider failure or an abort stops the run with finished work committed and is
 * returned as `error`. Throws before starting when the configuration cannot be honoured.
 */
export async function indexFiles(
  roots: Array<string | IndexSource>,
  context: IndexContext,
  options: IndexOptions = {},
): Promise<IndexRunResult> {
  return new IndexRun(roots, context, options).run();
}
