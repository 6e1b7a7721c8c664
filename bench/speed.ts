/**
 * Issue 12 benchmarks, each a ratio against its bound, on 2,000 generated Markdown files (4,400
 * chunks, 44 full requests) with the emulator in its own process:
 * - kill -9 at three points (a quarter, half and three quarters of the clean run's requests), then
 *   a re-run: inputs sent again ÷ inputs in flight at the kill (bound: 1);
 * - 300 ms per request, no quota: wall ÷ (requests × latency ÷ 32 in flight) (the latency bound);
 * - a clean run: CPU seconds (all threads) per 1,000 chunks;
 * - 30% of requests answered with a transient 429 (2 s RetryInfo): wall ÷ the clean 300 ms wall.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { EmulatorOptions } from "../test/emulator/index.js";
import { mostInFlight } from "../test/support/embedding-requests.js";
import { writeCorpus } from "./support/corpus.js";
import {
  type CommandResult,
  type EmulatorProcess,
  printTable,
  runGemindex,
  startEmulatorProcess,
} from "./support/harness.js";

const FILES = 2000;
/** Most files 6 sections (2 chunks), every fifth 11 (4 chunks): 4,400 chunks. */
const sections = (file: number) => (file % 5 === 0 ? 11 : 6);
const LATENCY_MS = 300;
/** The concurrency cap the latency bound is computed with. */
const MAX_CONCURRENCY = 32;

const indexArgs = (db: string) => ["--json", "--db", db, "index", "docs", "--batch", "never"];

async function withEmulator<T>(options: EmulatorOptions, work: (emulator: EmulatorProcess) => Promise<T>): Promise<T> {
  const emulator = await startEmulatorProcess(options);
  try {
    return await work(emulator);
  } finally {
    await emulator.close();
  }
}

function envOf(emulator: EmulatorProcess): Record<string, string> {
  return { GEMINI_API_KEY: emulator.apiKey, GEMINI_BASE_URL: emulator.baseURL };
}

function checked(run: CommandResult, what: string): CommandResult {
  if (run.code !== 0) throw new Error(`${what} failed (${run.code}): ${run.stderr}${run.stdout.slice(0, 2000)}`);
  return run;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface CleanRun {
  wallMs: number;
  cpuMs: number;
  chunks: number;
  requests: number;
  maxInFlight: number;
}

async function cleanRun(dir: string, db: string, emulator: EmulatorProcess): Promise<CleanRun> {
  await emulator.reset();
  const run = checked(await runGemindex(indexArgs(db), { cwd: dir, env: envOf(emulator), cpu: true }), "clean run");
  const report = JSON.parse(run.stdout) as { chunks: { written: number } };
  const { entries } = await emulator.log();
  await rm(path.join(dir, db), { recursive: true, force: true });
  return {
    wallMs: run.wallMs,
    cpuMs: run.cpuMs ?? Number.NaN,
    chunks: report.chunks.written,
    requests: entries.filter((entry) => entry.status === 200).length,
    maxInFlight: mostInFlight(entries),
  };
}

/**
 * Kills a run with SIGKILL while requests are in flight, then re-runs it and counts what was sent
 * again. "In flight" must mean sent and not yet received by gemindex, which the service's log
 * alone cannot tell (an answer written just before the kill may still be in a socket buffer): so
 * once `after` requests are answered the emulator answers nothing more, and the kill comes when
 * every earlier answer was handled (no new request for 300 ms) — the held requests are then
 * exactly those in flight.
 */
async function killAndRerun(dir: string, db: string, emulator: EmulatorProcess, after: number): Promise<string[]> {
  await emulator.reset();
  let child: ChildProcess | undefined;
  const killed = runGemindex(indexArgs(db), { cwd: dir, env: envOf(emulator), started: (c) => (child = c) });
  const heldFrom = await emulator.holdAfter(after);
  let seen = -1;
  for (;;) {
    if (child!.exitCode !== null) throw new Error(`the run finished before ${after} requests`);
    const { entries } = await emulator.log();
    const settled = entries.slice(0, heldFrom).every((entry) => entry.answeredAt !== undefined);
    if (settled && entries.length === seen) break;
    seen = entries.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  child!.kill("SIGKILL");
  await killed;
  const before = (await emulator.log()).entries;
  const sent = new Set(before.flatMap((entry) => entry.inputs));
  const answered = new Set(before.filter((entry) => entry.status === 200).flatMap((entry) => entry.inputs));
  const inFlight = before.slice(heldFrom).reduce((sum, entry) => sum + entry.inputs.length, 0);
  await emulator.reset();
  checked(await runGemindex(indexArgs(db), { cwd: dir, env: envOf(emulator) }), "re-run");
  const again = new Set((await emulator.log()).entries.flatMap((entry) => (entry.status === 200 ? entry.inputs : [])));
  await rm(path.join(dir, db), { recursive: true, force: true });
  const resent = [...again].filter((input) => sent.has(input)).length;
  const repaid = [...again].filter((input) => answered.has(input)).length;
  return [
    `after ${after} answered requests`,
    String(inFlight),
    String(resent),
    String(repaid),
    inFlight === 0 ? (resent === 0 ? "0 / 0" : "∞") : (resent / inFlight).toFixed(2),
  ];
}

export async function speed(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "gemindex-bench-"));
  try {
    await writeCorpus(dir, FILES, sections);

    const clean = await withEmulator({}, (emulator) => cleanRun(dir, "index", emulator));
    printTable(
      `Clean run, CPU (goal ≤ 3 s for ${clean.chunks} chunks, ` +
        `≤ ${(3000 / (clean.chunks / 1000) / 1000).toFixed(2)} s per 1,000)`,
      ["chunks", "requests", "wall", "CPU (all threads)", "CPU s per 1,000 chunks"],
      [
        [
          clean.chunks,
          clean.requests,
          seconds(clean.wallMs),
          seconds(clean.cpuMs),
          (clean.cpuMs / 1000 / (clean.chunks / 1000)).toFixed(3),
        ],
      ],
    );

    const slow = await withEmulator({ latencyMs: LATENCY_MS }, (emulator) => cleanRun(dir, "index", emulator));
    const boundMs = (slow.requests * LATENCY_MS) / MAX_CONCURRENCY;
    const transient = await withEmulator(
      { latencyMs: LATENCY_MS, transientRateLimits: { share: 0.3, retryDelay: "2s" } },
      (emulator) => cleanRun(dir, "index", emulator),
    );
    printTable(
      `${LATENCY_MS} ms per request: wall against the latency bound (requests × latency ÷ ${MAX_CONCURRENCY}), ` +
        "and with 30% transient 429s (2 s RetryInfo) against the clean wall (goal ≤ 2)",
      ["run", "requests (200)", "most in flight", "wall", "bound", "wall ÷ bound", "wall ÷ clean wall"],
      [
        [
          "clean",
          slow.requests,
          slow.maxInFlight,
          seconds(slow.wallMs),
          seconds(boundMs),
          (slow.wallMs / boundMs).toFixed(1),
          "1.00",
        ],
        [
          "30% transient 429s",
          transient.requests,
          transient.maxInFlight,
          seconds(transient.wallMs),
          "-",
          "-",
          (transient.wallMs / slow.wallMs).toFixed(2),
        ],
      ],
    );

    // Kills: 100 ms per request so that requests are in flight at any instant.
    const rows = await withEmulator({ latencyMs: 100 }, async (emulator) => {
      const out: string[][] = [];
      for (const share of [0.25, 0.5, 0.75])
        out.push(await killAndRerun(dir, "index", emulator, Math.max(1, Math.round(clean.requests * share))));
      return out;
    });
    printTable(
      "kill -9, then a re-run: inputs sent again ÷ inputs in flight at the kill " +
        `(goal ≤ 1; ${clean.requests} requests in a clean run)`,
      ["kill point", "inputs in flight", "inputs sent again", "of them answered before the kill", "ratio"],
      rows,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
