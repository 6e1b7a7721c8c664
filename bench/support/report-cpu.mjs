// Preloaded (node --import) into a process a benchmark measures: as the process exits, its CPU time
// (user and system, every thread: LanceDB's native threads included) goes to GEMINDEX_BENCH_CPU_FILE.
import { writeFileSync } from "node:fs";

const file = process.env.GEMINDEX_BENCH_CPU_FILE;
if (file) process.on("exit", () => writeFileSync(file, JSON.stringify(process.cpuUsage())));
