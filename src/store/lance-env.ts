import { availableParallelism } from "node:os";

/**
 * LanceDB's CPU runtime gets a single blocking thread on machines with two cores or fewer, and
 * building a full-text index then deadlocks once the table is large (lancedb/lancedb#3568: every
 * thread asleep, forever). Two threads avoid it (measured here: 1.3 s for 100k chunks); more
 * only add memory. Set before LanceDB's native module starts its runtime; a value the user set
 * wins.
 */
if (process.env.LANCE_CPU_THREADS === undefined && availableParallelism() <= 2) {
  process.env.LANCE_CPU_THREADS = "2";
}
