import { existsSync, type Stats } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import fg from "fast-glob";
import { LoadError } from "../errors.js";
import { DEFAULT_EXCLUDES } from "./default-excludes.js";
import { DiscoveryFilter } from "./discovery-filter.js";
import { fsErrorReason } from "./fs-error-reason.js";
import { toPosixPath } from "./to-posix-path.js";
import type { SourceFile } from "./types.js";
import type { VisitedEntries } from "./visited-entries.js";

/**
 * A root given as a glob pattern (`docs/**\/*.md`), split into the folder it searches (`base`,
 * absolute POSIX: the part before the first segment with glob syntax) and the pattern below it
 * (`**\/*.md`). Folders stay with the folder walker (discover-files.ts); patterns are what
 * fast-glob is for.
 */
export interface GlobRoot {
  base: string;
  pattern: string;
}

/**
 * The glob a root names, or undefined for a plain folder or file. A path that exists as written
 * is a path even when it holds glob characters (`notes [old]/`), and so is anything without
 * glob syntax. Split before the root is made absolute, so glob characters in the working
 * directory's own path are never read as syntax.
 */
export function parseGlobRoot(root: string, cwd: string): GlobRoot | undefined {
  const posix = toPosixPath(root);
  if (!fg.isDynamicPattern(posix) || existsSync(path.resolve(cwd, root))) return undefined;
  const segments = posix.split("/");
  const firstDynamic = segments.findIndex((segment) => segment !== "" && fg.isDynamicPattern(segment));
  const staticPart = segments.slice(0, firstDynamic).join("/");
  const base = toPosixPath(path.resolve(cwd, staticPart === "" && posix.startsWith("/") ? "/" : staticPart || "."));
  return { base, pattern: segments.slice(firstDynamic).join("/") };
}

export interface ExpandGlobOptions {
  /** Only files matching one of these `.gitignore`-style patterns (relative to the base folder). */
  include?: readonly string[];
  /** Files matching these `.gitignore`-style patterns (relative to the base folder) are skipped. */
  exclude?: readonly string[];
  /** Final filter (absolute POSIX path), like `DiscoverOptions.accept`. */
  accept?: (path: string) => boolean;
  /** Files already yielded by other roots of the run (by device and inode): each file once. */
  visited?: VisitedEntries;
  /** Told when the base folder is missing or unreadable (the error names the folder); without it, thrown. */
  onProblem?: (error: LoadError) => void;
  signal?: AbortSignal;
}

/**
 * The files a glob root matches, as discovery would yield them: fast-glob lists the candidates
 * (files only, never following symbolic links: a link matching the pattern is passed over), then
 * the folder walker's own rules decide (the default excludes, `.gitignore` and `.gemindexignore`
 * files in the base folder, below it and in the repository above it, hidden entries, `include`,
 * `exclude`, `accept`). Yields in path order. A file's `source` is the base folder, as if the
 * folder had been walked with the pattern as an include: the index keeps paths relative to a
 * folder, and a later run of the same pattern removes what no longer matches, as `include` does.
 */
export async function* expandGlob(glob: GlobRoot, options: ExpandGlobOptions = {}): AsyncGenerator<SourceFile> {
  const problem = (reason: string, cause?: unknown) => {
    const error = new LoadError(glob.base, `${reason} (for the pattern ${glob.pattern})`, { cause });
    if (!options.onProblem) throw error;
    options.onProblem(error);
  };
  let baseStats: Stats;
  try {
    baseStats = await stat(glob.base);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    problem(missing ? "folder not found" : fsErrorReason(error), error);
    return;
  }
  if (!baseStats.isDirectory()) {
    problem("not a folder");
    return;
  }
  const filter = new DiscoveryFilter(glob.base, { include: options.include, exclude: options.exclude });
  const entries = await fg(glob.pattern, {
    cwd: glob.base,
    onlyFiles: true,
    followSymbolicLinks: false,
    dot: false,
    stats: true,
    suppressErrors: true,
    // Only to spare the walk: the filter below applies the real rules (a `!build` exclude brings one back).
    ignore: options.exclude?.some((pattern) => pattern.startsWith("!")) ? [] : prunedFolders,
  });
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const entry of entries) {
    options.signal?.throwIfAborted();
    if (entry.dirent.isSymbolicLink() || !entry.stats) continue;
    const absolute = `${glob.base === "/" ? "" : glob.base}/${entry.path}`;
    if (!(await filter.includesFile(absolute))) continue;
    if (options.accept && !options.accept(absolute)) continue;
    if (options.visited?.claimFile(entry.stats, absolute) !== undefined) continue;
    yield {
      path: absolute,
      source: glob.base,
      relativePath: entry.path,
      size: entry.stats.size,
      mtimeMs: entry.stats.mtimeMs,
    };
  }
}

/** The default excludes as fast-glob ignore patterns (they name folders and files at any depth). */
const prunedFolders = DEFAULT_EXCLUDES.flatMap((pattern) => [`**/${pattern}`, `**/${pattern}/**`]);
