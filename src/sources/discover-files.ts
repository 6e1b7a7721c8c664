import type { Dirent, Stats } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";

import ignore, { type Ignore } from "ignore";

import { LoadError } from "../errors.js";
import { ancestorIgnores } from "./ancestor-ignores.js";
import { DEFAULT_EXCLUDES } from "./default-excludes.js";
import { fsErrorReason } from "./fs-error-reason.js";
import { IgnoreStack } from "./ignore-stack.js";
import { toPosixPath } from "./to-posix-path.js";
import type { SourceFile } from "./types.js";

/** The per-directory ignore file that only gemindex reads; same syntax as `.gitignore`. */
export const GEMINDEX_IGNORE_FILE = ".gemindexignore";

/** Options of {@link discoverFiles}; every one has a default. */
export interface DiscoverOptions {
  /** Directory that relative roots are resolved against. @default process.cwd() at call time */
  cwd?: string;
  /**
   * Only files matching one of these patterns (relative to their root, `.gitignore` syntax:
   * `*.md` matches at any depth, `docs/**` is anchored, `!x` negates) are yielded.
   * @default every file
   */
  include?: readonly string[];
  /**
   * Files and folders matching these patterns (relative to their root, `.gitignore` syntax) are skipped. @default none
   */
  exclude?: readonly string[];
  /**
   * Patterns always excluded; pass `[]` to walk everything. `exclude: ["!build"]` brings back
   * a single default.
   * @default DEFAULT_EXCLUDES
   */
  defaultExcludes?: readonly string[];
  /**
   * Honour `.gitignore` files (the root's, nested ones, and the repository's above the root). `.gemindexignore` files
   * always apply. @default true
   */
  gitignore?: boolean;
  /**
   * Walk into hidden folders and yield hidden files (names starting with `.`). A hidden
   * root given explicitly is always walked; `.git` stays excluded by the default excludes.
   * @default false
   */
  hidden?: boolean;
  /**
   * Final filter for files found inside folder roots (absolute POSIX path), e.g. the loaders'
   * `isSupportedPath`, so images and archives never reach the load stage. Files given directly
   * as roots bypass it.
   * @default accept all
   */
  accept?: (path: string) => boolean;
  /**
   * Called for each problem (a missing root, an unreadable folder, a broken symlink, a symlink
   * loop); discovery then carries on with the next entry. Without it the first problem is
   * thrown and discovery stops.
   */
  onProblem?: (error: LoadError) => void;
  signal?: AbortSignal;
}

/**
 * Streams the files under `roots` (folders or single files), honouring ignore files.
 *
 * Order: roots in the order given (a root repeated verbatim is walked once); inside a folder,
 * depth first with the entries of each directory sorted by name (UTF-16 code units), so
 * `a/…` comes before `a-b.md`. Only one directory listing per level is held in memory.
 *
 * Skipped: entries matching {@link DiscoverOptions.defaultExcludes} or `exclude`; entries
 * ignored by `.gitignore` (git semantics, nested files included) or `.gemindexignore` (read
 * after `.gitignore` in the same directory, so it can re-include with `!`); hidden entries
 * unless `hidden`; sockets, FIFOs and devices. Files given directly as roots are always
 * yielded. Overlapping roots (a folder and a file inside it) yield that file twice.
 *
 * Symlinks are followed. A file symlink is yielded under the link's path. A directory symlink
 * that leads back to one of its own ancestors (or an ancestor of the root) is reported as a
 * "symlink loop" problem and not entered, so a loop never recurses.
 *
 * @example
 * for await (const file of discoverFiles(["docs", "README.md"], { cwd, onProblem: (e) => report.push(e) })) {
 *   console.log(file.relativePath, file.size);
 * }
 */
export async function* discoverFiles(
  roots: readonly string[],
  options: DiscoverOptions = {},
): AsyncGenerator<SourceFile> {
  const cwd = options.cwd ?? process.cwd();
  const signal = options.signal;
  const report = (error: LoadError): void => {
    if (!options.onProblem) throw error;
    options.onProblem(error);
  };
  const walked = new Set<string>();

  for (const root of roots) {
    signal?.throwIfAborted();
    const absoluteRoot = path.resolve(cwd, root);
    if (walked.has(absoluteRoot)) continue;
    walked.add(absoluteRoot);

    let rootStats: Stats;
    try {
      rootStats = await stat(absoluteRoot);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "root not found" : fsErrorReason(error);
      report(new LoadError(toPosixPath(absoluteRoot), reason, { cause: error }));
      continue;
    }
    if (rootStats.isFile()) {
      const posix = toPosixPath(absoluteRoot);
      yield { path: posix, source: posix, relativePath: "", size: rootStats.size, mtimeMs: rootStats.mtimeMs };
    } else if (rootStats.isDirectory()) {
      yield* walkRoot(absoluteRoot, options, report);
    } else {
      report(new LoadError(toPosixPath(absoluteRoot), "not a regular file or directory"));
    }
  }
}

interface WalkContext {
  source: string;
  ignoreFileNames: readonly string[];
  excludes: Ignore;
  includes: Ignore | undefined;
  hidden: boolean;
  accept: ((path: string) => boolean) | undefined;
  /** Real paths of the directory being listed and all its ancestors: entering one again is a loop. */
  ancestors: Set<string>;
  report: (error: LoadError) => void;
  signal: AbortSignal | undefined;
}

async function* walkRoot(
  root: string,
  options: DiscoverOptions,
  report: (error: LoadError) => void,
): AsyncGenerator<SourceFile> {
  const ignoreFileNames = options.gitignore === false ? [GEMINDEX_IGNORE_FILE] : [".gitignore", GEMINDEX_IGNORE_FILE];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    report(new LoadError(toPosixPath(root), fsErrorReason(error), { cause: error }));
    return;
  }
  let inherited = await ancestorIgnores(root, ignoreFileNames);
  // A root the repository ignores was still asked for by name: walk it without the rules above it.
  if (inherited.isIgnored("", true)) inherited = IgnoreStack.empty;

  const ancestors = new Set<string>();
  for (let dir = realRoot; ; dir = path.dirname(dir)) {
    ancestors.add(dir);
    if (path.dirname(dir) === dir) break;
  }

  const includes = options.include?.length ? ignore().add([...options.include]) : undefined;
  const context: WalkContext = {
    source: toPosixPath(root),
    ignoreFileNames,
    excludes: ignore().add([...(options.defaultExcludes ?? DEFAULT_EXCLUDES), ...(options.exclude ?? [])]),
    includes,
    hidden: options.hidden ?? false,
    accept: options.accept,
    ancestors,
    report,
    signal: options.signal,
  };
  yield* walkDirectory(context, root, "", realRoot, inherited);
}

async function* walkDirectory(
  context: WalkContext,
  directory: string,
  relativeDirectory: string,
  realDirectory: string,
  parentRules: IgnoreStack,
): AsyncGenerator<SourceFile> {
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    context.report(
      new LoadError(toPosixPath(directory), `cannot list folder: ${fsErrorReason(error)}`, { cause: error }),
    );
    return;
  }

  const rules = await readIgnoreFiles(context, directory, relativeDirectory, entries, parentRules);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  for (const entry of entries) {
    context.signal?.throwIfAborted();
    if (!context.hidden && entry.name.startsWith(".")) continue;
    const absolute = path.join(directory, entry.name);
    const relative = relativeDirectory === "" ? entry.name : `${relativeDirectory}/${entry.name}`;

    // Dirent types come from the directory listing without a syscall; symlinks (and file
    // systems that report no type) need a stat to learn what they point to.
    let stats: Stats | undefined;
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink() || (!isDirectory && !isFile && !isSpecial(entry))) {
      try {
        stats = await stat(absolute);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === "ENOENT" ? "broken symlink (its target does not exist)" : fsErrorReason(error);
        context.report(new LoadError(toPosixPath(absolute), reason, { cause: error }));
        continue;
      }
      isDirectory = stats.isDirectory();
      isFile = stats.isFile();
    }

    if (isDirectory) {
      if (context.excludes.ignores(`${relative}/`) || rules.isIgnored(relative, true)) continue;
      let realChild = path.join(realDirectory, entry.name);
      if (entry.isSymbolicLink()) {
        try {
          realChild = await realpath(absolute);
        } catch (error) {
          context.report(new LoadError(toPosixPath(absolute), fsErrorReason(error), { cause: error }));
          continue;
        }
      }
      if (context.ancestors.has(realChild)) {
        context.report(new LoadError(toPosixPath(absolute), `symlink loop (points back to ${toPosixPath(realChild)})`));
        continue;
      }
      context.ancestors.add(realChild);
      try {
        yield* walkDirectory(context, absolute, relative, realChild, rules);
      } finally {
        context.ancestors.delete(realChild);
      }
    } else if (isFile) {
      if (context.excludes.ignores(relative) || rules.isIgnored(relative, false)) continue;
      if (context.includes && !context.includes.ignores(relative)) continue;
      const posix = toPosixPath(absolute);
      if (context.accept && !context.accept(posix)) continue;
      if (!stats) {
        try {
          stats = await stat(absolute);
        } catch (error) {
          // Deleted between the listing and now: nothing to index, but say so.
          context.report(new LoadError(posix, fsErrorReason(error), { cause: error }));
          continue;
        }
      }
      yield { path: posix, source: context.source, relativePath: relative, size: stats.size, mtimeMs: stats.mtimeMs };
    }
    // Sockets, FIFOs and devices are skipped: reading a FIFO would block the run forever.
  }
}

function isSpecial(entry: Dirent): boolean {
  return entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice();
}

async function readIgnoreFiles(
  context: WalkContext,
  directory: string,
  relativeDirectory: string,
  entries: readonly Dirent[],
  rules: IgnoreStack,
): Promise<IgnoreStack> {
  for (const name of context.ignoreFileNames) {
    if (!entries.some((entry) => entry.name === name && !entry.isDirectory())) continue;
    const file = path.join(directory, name);
    try {
      rules = rules.with(relativeDirectory, await readFile(file, "utf8"));
    } catch (error) {
      context.report(
        new LoadError(toPosixPath(file), `cannot read ignore file: ${fsErrorReason(error)}`, { cause: error }),
      );
    }
  }
  return rules;
}
