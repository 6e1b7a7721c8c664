import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined | null;

/**
 * Runs a full garbage collection when the JavaScript heap holds more than `heapBytes`. An
 * indexing run parses about 1.5 MB of JSON per embedding response; V8 keeps such large strings
 * until a major collection, which on a machine with plenty of memory comes late, so resident
 * memory climbs by hundreds of MB of garbage. The run's live heap is a few tens of MB, so
 * collecting between commits when the heap passes 160 MB keeps a 100k-chunk run under 512 MB
 * for a few collections in all.
 */
export function relieveMemoryPressure(heapBytes = 112 * 1024 * 1024): void {
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
