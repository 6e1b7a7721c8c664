import path from "node:path";
import type { BatchEmbedder, Embedder, MediaDescriber } from "../providers/types.js";
import type { Store } from "../store/open-store.js";
import type { IndexReport } from "./types.js";

/** What a run works with: the store and, with an API key, the provider's parts. */
export interface IndexContext {
  /** The index, with its write lock held and its tables refreshed by the caller. */
  store: Store;
  /** Absent without an API key: the index is then lexical only. */
  embedder?: Embedder;
  /** The Batch API, when the provider has one. */
  batch?: BatchEmbedder;
  /** Captions images and transcribes audio; absent without an API key. */
  describer?: MediaDescriber;
  /** Relative roots resolve against it. */
  cwd: string;
  /** Subscribes to the provider's retry notices for the duration of the run. */
  onRetry?: (listener: (notice: RetryEvent) => void) => () => void;
  /**
   * Set for a sharded run on object storage, where other workers write at the same time: runs
   * `work` (creating or healing the tables) under the index's maintenance lease, waiting while
   * another worker holds it. A run given it leaves the upkeep after its commits (full-text and ANN
   * indexes, compaction) to its caller, which does it once no other shard is writing.
   */
  shared?: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * A local folder for the vector log of an index on object storage (a local index keeps its log
   * in its own folder). Without it such an index has no log.
   */
  logFolder?: string;
  /** The clock quota pacing reads and waits on. @default Date.now and a timer */
  clock?: {
    now?: () => number;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  };
}

/** A provider retry, as the run sees it. */
export interface RetryEvent {
  delayMs: number;
  /** When the retry starts (ms since the epoch). */
  resumeAt: number;
  reason: string;
  /** HTTP status of the failed attempt (429: rate limited). */
  status?: number;
}

/** The result of a run: the report, and the error that ended it early, if any. */
export interface IndexRunResult {
  report: IndexReport;
  /** Set when the run stopped early (provider failure, abort); work finished before it is committed. */
  error?: unknown;
}

/** Absolute POSIX form of a root, as discovery records it in `SourceFile.source`. */
export function normalizeRoot(root: string, cwd: string): string {
  return path.resolve(cwd, root).split(path.sep).join("/");
}
