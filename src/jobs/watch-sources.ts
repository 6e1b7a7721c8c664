import path from "node:path";
import { watch as watchFiles } from "chokidar";
import { IndexLockedError } from "../errors.js";
import type { IndexOptions, IndexReport, IndexSource } from "../indexing/types.js";
import { isSupportedPath } from "../loaders/detect/file-types.js";
import type { GemIndex } from "../open-index.js";
import { DiscoveryFilter, IGNORE_FILE_NAMES } from "../sources/discovery-filter.js";
import { toPosixPath } from "../sources/to-posix-path.js";
import { isRemoteUri } from "../store/uri.js";
import { Debouncer, realTimers, type Timers } from "./debounce.js";
import { type RunRecord, toRunRecord } from "./run-history.js";

export interface WatchOptions {
  /** Quiet time after the last relevant file event before a run starts. @default 500 */
  debounceMs?: number;
  /** A run starts at the latest this long after the first event of a burst, even while events go on. @default 10000 */
  maxWaitMs?: number;
  /** After another process held the write lock, try again this much later. @default 5000 */
  lockRetryMs?: number;
  /** What runs are recorded as in the run history. @default "watch" */
  name?: string;
  /** Run once at start, to catch up with changes made while nothing watched. @default true */
  initialRun?: boolean;
  /** Options of every run (include/exclude patterns apply to the events watched too). */
  index?: Omit<IndexOptions, "signal" | "onProgress">;
  /** Told about everything the watcher does; the CLI logs it. */
  onEvent?: (event: WatchEvent) => void;
  /** Clock for the debounce (tests). @default real timers */
  timers?: Timers;
}

/** What a watcher reports. */
export type WatchEvent =
  /** File watches are in place: a change from now on is seen. */
  | { type: "ready"; roots: string[] }
  /** A file event that matters (a file discovery would index, a folder holding some, or an ignore file). */
  | { type: "change"; path: string; event: "add" | "change" | "unlink" | "unlinkDir" }
  /** `changes`: how many files (or folders) changed since the last run started. */
  | { type: "run-start"; reason: "start" | "changes" | "retry"; changes: number }
  | { type: "run-end"; report: IndexReport; record: RunRecord }
  /** A run could not start or failed outright; `retryInMs` when it will be tried again by itself. */
  | { type: "run-error"; error: unknown; retryInMs?: number }
  /** The file watcher reported a problem (watching goes on). */
  | { type: "watch-error"; error: Error }
  | { type: "stopped" };

/** A running watcher. */
export interface Watcher {
  /** Resolves once file watches are in place (changes before that are caught by the first run). */
  readonly ready: Promise<void>;
  /** Stops watching; a run in flight ends as `stop` leaves it (see watchSources). */
  stop(): Promise<void>;
}

/**
 * Keeps an index up to date with its folders: watches them (chokidar) and, once file events have
 * been quiet for `debounceMs`, makes one incremental run for all of them, however many there
 * were (a `git checkout` of 1,000 files is one run). Only events for files that indexing would
 * pick up count: the same ignore files, default excludes, patterns and file types as a run
 * (a change to an ignore file counts too). Events during a run make one more run after it.
 *
 * Each run takes the index's write lock only while it runs, and is recorded in the run history
 * under `name`. A failing run is reported and watching goes on; when another process holds the
 * lock, the run is tried again `lockRetryMs` later. `stop()` ends the run in flight the way an
 * aborted run ends (requests in flight answered, finished documents committed; recorded as
 * interrupted) and resolves once it has.
 */
export function watchSources(
  index: GemIndex,
  sources: Array<string | IndexSource>,
  options: WatchOptions = {},
): Watcher {
  const cwd = index.settings.cwd;
  const specs = sources.map((source) => (typeof source === "string" ? { root: source } : source));
  const filters = specs.map(
    (spec) =>
      new DiscoveryFilter(spec.root, {
        cwd,
        include: spec.include ?? options.index?.include,
        exclude: [...(options.index?.exclude ?? []), ...(spec.exclude ?? [])],
        accept: isSupportedPath,
      }),
  );
  const roots = filters.map((filter) => filter.root);
  const indexFolder = isRemoteUri(index.uri) ? undefined : toPosixPath(path.resolve(cwd, index.uri));
  const timers = options.timers ?? realTimers;
  const emit = (event: WatchEvent) => options.onEvent?.(event);
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  // Paths changed since the last run started (a file written in pieces is one change, not several).
  let pending = new Set<string>();
  let retry: unknown;

  const run = async (reason: "start" | "changes" | "retry"): Promise<void> => {
    if (running || stopping.signal.aborted) return;
    const changed = pending;
    pending = new Set();
    emit({ type: "run-start", reason, changes: changed.size });
    running = (async () => {
      try {
        const report = await index.index(sources, { ...options.index, signal: stopping.signal });
        const record = toRunRecord(options.name ?? "watch", report);
        await index.recordRun(record);
        emit({ type: "run-end", report, record });
      } catch (error) {
        const locked = error instanceof IndexLockedError && !stopping.signal.aborted;
        const retryInMs = options.lockRetryMs ?? 5000;
        emit({ type: "run-error", error, ...(locked ? { retryInMs } : {}) });
        if (locked) {
          pending = new Set([...changed, ...pending]);
          retry = timers.setTimeout(() => {
            retry = undefined;
            void run("retry");
          }, retryInMs);
        }
      } finally {
        running = undefined;
      }
      // Changes that came in during the run get a run of their own.
      if (pending.size > 0 && retry === undefined && !stopping.signal.aborted) debouncer.poke();
    })();
    await running;
  };
  const debouncer = new Debouncer({
    quietMs: options.debounceMs ?? 500,
    maxWaitMs: options.maxWaitMs ?? 10_000,
    fire: () => {
      if (pending.size > 0) void run("changes");
    },
    timers,
  });

  const containing = (file: string) => filters.filter((filter) => filter.relative(file) !== undefined);
  const inIndexFolder = (file: string) =>
    indexFolder !== undefined && (file === indexFolder || file.startsWith(`${indexFolder}/`));
  const watcher = watchFiles(roots, {
    ignoreInitial: true,
    // Never descend into what discovery never walks (node_modules, .git, the index itself, …).
    ignored: (file: string) => {
      const posix = toPosixPath(file);
      if (inIndexFolder(posix)) return true;
      if (IGNORE_FILE_NAMES.includes(path.posix.basename(posix))) return false;
      const owners = containing(posix);
      return owners.length > 0 && owners.every((filter) => filter.prunes(posix));
    },
  });
  const relevant = async (event: string, file: string): Promise<boolean> => {
    const owners = containing(file);
    if (owners.length === 0 || inIndexFolder(file)) return false;
    if (IGNORE_FILE_NAMES.includes(path.posix.basename(file))) {
      for (const filter of owners) filter.forget(path.posix.dirname(file));
      const folder = path.posix.dirname(file);
      return (await Promise.all(owners.map((filter) => filter.includesFolder(folder)))).some(Boolean);
    }
    if (event === "unlinkDir")
      return (await Promise.all(owners.map((filter) => filter.includesFolder(file)))).some(Boolean);
    return (await Promise.all(owners.map((filter) => filter.includesFile(file)))).some(Boolean);
  };
  watcher.on("all", (event, file) => {
    if (event !== "add" && event !== "change" && event !== "unlink" && event !== "unlinkDir") return;
    const posix = toPosixPath(file);
    void relevant(event, posix).then((matters) => {
      if (!matters || stopping.signal.aborted) return;
      pending.add(posix);
      emit({ type: "change", path: posix, event });
      if (!running && retry === undefined) debouncer.poke();
    });
  });
  // The operating system's own events come before chokidar has looked at each file: while a burst
  // is still arriving (a slow disk, a busy machine), they keep its quiet period from ending early.
  watcher.on("raw", () => {
    if (pending.size > 0 && !running && retry === undefined) debouncer.poke();
  });
  watcher.on("error", (error) => emit({ type: "watch-error", error: error as Error }));
  const ready = new Promise<void>((resolve) => {
    watcher.once("ready", () => {
      emit({ type: "ready", roots });
      resolve();
    });
  });
  if (options.initialRun ?? true) void run("start");

  return {
    ready,
    async stop() {
      stopping.abort(new Error("the watcher is stopping"));
      debouncer.cancel();
      if (retry !== undefined) timers.clearTimeout(retry);
      await watcher.close();
      await running;
      emit({ type: "stopped" });
    },
  };
}
