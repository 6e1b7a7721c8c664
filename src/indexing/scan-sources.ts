import type { LoadError } from "../errors.js";
import { isSupportedPath } from "../loaders/detect/file-types.js";
import { discoverFiles } from "../sources/discover-files.js";
import { expandGlob, type GlobRoot, parseGlobRoot } from "../sources/expand-globs.js";
import type { SkippedEntry, SourceFile } from "../sources/types.js";
import { VisitedEntries } from "../sources/visited-entries.js";
import type { DocumentRecord } from "../store/types.js";
import { normalizeRoot } from "./run-context.js";
import type { FileFailure, IndexSource } from "./types.js";

/** A file that needs (re)indexing, with its manifest row when it was indexed before. */
export interface WorkItem {
  file: SourceFile;
  previous?: DocumentRecord;
}

export interface ScanResult {
  /** Files whose size or mtime differ from the manifest, or that are new; content decides later. */
  work: WorkItem[];
  /** Every path discovery yielded. */
  seen: Set<string>;
  /** Roots that could not be read (their documents are kept). */
  problemRoots: Set<string>;
  unchanged: number;
  /** Of `unchanged`: files that failed before and are not retried (same size and mtime). */
  unchangedFailed: number;
  /** Files of types no loader handles, passed over quietly. */
  skipped: number;
  failures: FileFailure[];
  /** Entries passed over on purpose: links out of a root, special files, pseudo-file-systems. */
  passedOver: SkippedEntry[];
}

/** A root to index, with its own include/exclude patterns (added to the run's). */
export interface SourceSpec {
  /** Absolute POSIX path; for a glob root, the folder it searches (what its documents record as `source`). */
  root: string;
  include?: string[];
  exclude?: string[];
  /** Set when the root is a glob pattern: expanded with fast-glob instead of walked. */
  glob?: GlobRoot;
}

/** A root as given (relative to `cwd`): a folder or file made absolute, or a glob split into folder and pattern. */
export function sourceSpec(root: string | IndexSource, cwd: string): SourceSpec {
  const given = typeof root === "string" ? { root } : root;
  const glob = parseGlobRoot(given.root, cwd);
  return glob ? { ...given, root: glob.base, glob } : { ...given, root: normalizeRoot(given.root, cwd) };
}

export interface ScanOptions {
  cwd: string;
  /** Patterns for every root (a root's own `include` replaces these; `exclude` adds to them). */
  include?: string[];
  exclude?: string[];
  /** Treat files that failed before as work even when unchanged. @default false */
  retryFailed?: boolean;
  /** Follow symbolic links that lead out of their root. @default false */
  followSymlinks?: boolean;
  signal?: AbortSignal;
  /** Told about each file as it is found (progress). */
  onFile?: () => void;
}

/** An empty {@link ScanResult}, for {@link scanWork} to fill. */
export function emptyScan(): ScanResult {
  return {
    work: [],
    seen: new Set(),
    problemRoots: new Set(),
    unchanged: 0,
    unchangedFailed: 0,
    skipped: 0,
    failures: [],
    passedOver: [],
  };
}

/**
 * Walks the roots and sorts files into unchanged (same size and mtime as indexed) and work to
 * do. Reads no file contents: a file whose stat changed is hashed later, when it is processed.
 */
export async function scanSources(
  sources: SourceSpec[],
  manifest: Map<string, DocumentRecord>,
  options: ScanOptions,
): Promise<ScanResult> {
  const result = emptyScan();
  for await (const item of scanWork(sources, manifest, result, options)) result.work.push(item);
  return result;
}

/**
 * {@link scanSources} as a stream: yields each file that needs (re)indexing as discovery finds
 * it, so indexing starts at once and memory does not grow with the tree, and counts the rest
 * in `result` (which is complete once the stream ends; `result.work` stays empty). A folder or
 * file reached through several roots or links is yielded once.
 */
export async function* scanWork(
  sources: SourceSpec[],
  manifest: Map<string, DocumentRecord>,
  result: ScanResult,
  options: ScanOptions,
): AsyncGenerator<WorkItem> {
  const visited = new VisitedEntries();
  for (const source of sources) yield* scanSource(source, manifest, options, result, visited);
}

async function* scanSource(
  source: SourceSpec,
  manifest: Map<string, DocumentRecord>,
  options: ScanOptions,
  result: ScanResult,
  visited: VisitedEntries,
): AsyncGenerator<WorkItem> {
  const include = source.include ?? options.include;
  const exclude = [...(options.exclude ?? []), ...(source.exclude ?? [])];
  // Archives, media without a loader and the like are passed over quietly (counted).
  const accept = (filePath: string) => {
    if (isSupportedPath(filePath)) return true;
    result.skipped++;
    return false;
  };
  const onProblem = (error: LoadError) => {
    result.failures.push({ path: error.path, reason: error.reason });
    if (error.path === source.root) result.problemRoots.add(error.path);
  };
  const discovery = source.glob
    ? expandGlob(source.glob, { include, exclude, accept, visited, onProblem, signal: options.signal })
    : discoverFiles([source.root], {
        cwd: options.cwd,
        include,
        exclude: exclude.length > 0 ? exclude : undefined,
        followSymlinks: options.followSymlinks,
        visited,
        signal: options.signal,
        accept,
        onProblem,
        onSkip: (entry) => {
          result.passedOver.push(entry);
          // A root that is a pseudo-file-system was not read: its documents are kept.
          if (entry.path === source.root) result.problemRoots.add(entry.path);
        },
      });
  for await (const file of discovery) {
    options.signal?.throwIfAborted();
    if (result.seen.has(file.path)) continue;
    result.seen.add(file.path);
    options.onFile?.();
    const previous = manifest.get(file.path);
    const sameStat = previous?.size === file.size && previous?.mtimeMs === file.mtimeMs;
    if (sameStat && previous?.status === "indexed") {
      result.unchanged++;
      continue;
    }
    // A file that failed is tried again only once it changes (or when asked): the same bytes
    // would meet the same refusal, and paid requests for its other chunks would be wasted again.
    if (sameStat && previous?.status === "failed" && !options.retryFailed) {
      result.unchanged++;
      result.unchangedFailed++;
      continue;
    }
    yield { file, previous };
  }
}
