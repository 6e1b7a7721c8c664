/**
 * `npm run bench [-- <name>...]`: runs the benchmarks and prints Markdown tables.
 * Names: ingestion-rate, free-tier (about 3 real minutes: the quota sets the pace), memory (includes the 1%
 * re-index), retrieval, eval (BEIR SciFact), big-inputs (a 48 MB text file, a 10 MB base64 file, a 100k-row
 * workbook), noop-runs (300 runs of a pipeline over an unchanged folder: no-op time and meta size), speed
 * (issue 12: kill -9 re-pay, the 300 ms latency bound, CPU per chunk, transient 429s), remote (4 sharded
 * workers vs 1 on an s3:// index, 2,000 files, 300 ms embedding latency; query p50 remote vs local).
 * Default: all.
 * Needs a build (`npm run build`): the CLI is measured as users run it.
 */
import { bigInputs } from "./big-inputs.js";
import { scifactEval } from "./eval.js";
import { freeTier, ingestionRate, memoryAndReindex } from "./ingestion.js";
import { noopRuns } from "./noop-runs.js";
import { remoteScaling } from "./remote.js";
import { retrievalLatency } from "./retrieval.js";
import { speed } from "./speed.js";

const benchmarks: Record<string, () => Promise<unknown>> = {
  "ingestion-rate": () => ingestionRate(),
  "free-tier": () => freeTier(),
  memory: () => memoryAndReindex(),
  retrieval: () => retrievalLatency(),
  eval: () => scifactEval(),
  "big-inputs": () => bigInputs(),
  "noop-runs": () => noopRuns(),
  speed: () => speed(),
  remote: () => remoteScaling(),
};

const selected = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
const names = selected.length > 0 ? selected : Object.keys(benchmarks);
for (const name of names) {
  const run = benchmarks[name];
  if (!run) {
    console.error(`Unknown benchmark "${name}". Choose from: ${Object.keys(benchmarks).join(", ")}.`);
    process.exit(2);
  }
  console.error(`Running ${name}...`);
  await run();
}
