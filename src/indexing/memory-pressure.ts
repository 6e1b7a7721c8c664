import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined | null;

/**
 * Runs a full garbage collection when the JavaScript heap holds more than `heapBytes`. An
 * indexing run parses about 1.5 MB of JSON per embedding response; V8 keeps such large strings
 * until a major collection, which on a machine with plenty of memory comes late, so resident
 * memory climbs by hundreds of MB of garbage. The run's live heap is about 70 MB (most of it the
 * tokenizer's tables), so collecting between commits once the heap passes 80 MB keeps a
 * 100k-chunk run near 450 MB instead of 535 MB, for about 5% more time (measured here).
 */
export function relieveMemoryPressure(heapBytes = 80 * 1024 * 1024): void {
  if (process.memoryUsage().heapUsed < heapBytes) return;
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
