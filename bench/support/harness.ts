import { type ChildProcess, fork, spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { EmulatorOptions } from "../../test/emulator/index.js";

export const root = path.resolve(import.meta.dirname, "../..");
export const bin = path.join(root, "dist/cli/bin.js");

export interface EmulatorStats {
  requests: number;
  ok: number;
  rateLimited: number;
  inputs: number;
  /** Input tokens of the answered requests, as the emulator counts them. */
  tokens: number;
  /** Inputs of the last answered request. */
  lastInputs: number;
  first?: number;
  last?: number;
}

/** One embedding request as the emulator logged it. */
export interface LoggedEmbedding {
  /** Emulator-clock ms of arrival and of the answer (undefined: never answered). */
  at: number;
  answeredAt?: number;
  status: number;
  inputs: string[];
}

/** An emulator running in a child process. */
export interface EmulatorProcess {
  baseURL: string;
  apiKey: string;
  stats(): Promise<EmulatorStats>;
  /** The embedding requests so far, and the emulator clock now. */
  log(): Promise<{ now: number; entries: LoggedEmbedding[] }>;
  /** The emulator clock now. */
  now(): Promise<number>;
  /**
   * Holds every embedding request that arrives once `answered` have been answered; resolves with
   * the number of embedding requests that arrived before the hold.
   */
  holdAfter(answered: number): Promise<number>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: EmulatorOptions): Promise<EmulatorProcess> {
  const child = fork(path.join(import.meta.dirname, "emulator-process.ts"), [JSON.stringify(options)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const listener = (message: { type: string }) => {
        if (message.type !== type) return;
        child.off("message", listener);
        resolve(message as T);
      };
      child.on("message", listener);
    });
  const ready = await next<{ baseURL: string; apiKey: string }>("ready");
  return {
    baseURL: ready.baseURL,
    apiKey: ready.apiKey,
    async stats() {
      const reply = next<EmulatorStats>("stats");
      child.send({ type: "stats" });
      return reply;
    },
    async log() {
      const reply = next<{ now: number; entries: LoggedEmbedding[] }>("log");
      child.send({ type: "log" });
      return reply;
    },
    async now() {
      const reply = next<{ now: number }>("now");
      child.send({ type: "now" });
      return (await reply).now;
    },
    async holdAfter(answered: number) {
      const reply = next<{ from: number }>("held");
      child.send({ type: "hold-after", answered });
      return (await reply).from;
    },
    async reset() {
      const reply = next("reset");
      child.send({ type: "reset" });
      await reply;
    },
    async close() {
      const exited = new Promise((resolve) => child.on("exit", resolve));
      child.send({ type: "close" });
      await exited;
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size of the gemindex process (VmHWM), in MiB. */
  peakRssMiB: number;
  /** CPU time of the gemindex process, every thread (user + system), when `cpu` was asked for and it exited. */
  cpuMs?: number;
}

/** Preloaded into a measured process: writes its own CPU time (all threads) to a file as it exits. */
const cpuReporter = path.join(import.meta.dirname, "report-cpu.mjs");

/**
 * Runs the built gemindex CLI and samples its peak RSS from /proc while it runs. `cpu` measures its
 * CPU time; `started` is told the child process (to kill it mid-run).
 */
export async function runGemindex(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    cpu?: boolean;
    nodeArgs?: string[];
    started?: (child: ChildProcess) => void;
  },
): Promise<CommandResult> {
  const started = performance.now();
  const cpuFile = options.cpu ? path.join(options.cwd, `.cpu-${process.pid}-${Date.now()}.json`) : undefined;
  const nodeArgs = [...(cpuFile ? ["--import", cpuReporter] : []), ...(options.nodeArgs ?? [])];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      LANCEDB_LOG: "error",
      ...(cpuFile ? { GEMINDEX_BENCH_CPU_FILE: cpuFile } : {}),
      ...options.env,
    },
  });
  options.started?.(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (data) => (stdout += data));
  child.stderr!.on("data", (data) => (stderr += data));
  let peakKiB = 0;
  const sample = async () => {
    try {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
    } catch {
      // The process has exited.
    }
  };
  const timer = setInterval(() => void sample(), 100);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(timer);
  const wallMs = performance.now() - started;
  let cpuMs: number | undefined;
  if (cpuFile) {
    const usage = await readFile(cpuFile, "utf8").then(
      (text) => JSON.parse(text) as { user: number; system: number },
      () => undefined,
    );
    if (usage) cpuMs = (usage.user + usage.system) / 1000;
    await rm(cpuFile, { force: true });
  }
  return { code, stdout, stderr, wallMs, peakRssMiB: peakKiB / 1024, cpuMs };
}

/** Prints a Markdown table. */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map(() => "---").join(" | ")} |`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}
