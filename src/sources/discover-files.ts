import type { Dirent, Stats } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";

import ignore, { type Ignore } from "ignore";

import { LoadError } from "../errors.js";
import { ancestorIgnores } from "./ancestor-ignores.js";
import { DEFAULT_EXCLUDES } from "./default-excludes.js";
import { FileSystemKinds, specialKind } from "./file-system-kind.js";
import { fsErrorReason } from "./fs-error-reason.js";
import { IgnoreStack } from "./ignore-stack.js";
import { toPosixPath } from "./to-posix-path.js";
import type { SkippedEntry, SourceFile } from "./types.js";
import { VisitedEntries } from "./visited-entries.js";

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
   * Follow symbolic links whose target lies outside the root being walked. Off by default: a
   * link to `/etc` or `~/.ssh` inside a docs folder would otherwise send that content to the
   * embedding service and quote it in answers. Links that stay inside the root are always
   * followed (their content is walked once, see the ordering notes of {@link discoverFiles}).
   * @default false
   */
  followSymlinks?: boolean;
  /**
   * Real directories entered and real files yielded so far (by device and inode). Pass one
   * instance to every call of a run so that a folder or file reached again — through another
   * link, another root, a hard link — is walked or yielded once. @default a fresh one per call
   */
  visited?: VisitedEntries;
  /**
   * Called for each problem (a missing root, an unreadable folder, a broken symlink, a symlink
   * loop); discovery then carries on with the next entry. Without it the first problem is
   * thrown and discovery stops.
   */
  onProblem?: (error: LoadError) => void;
  /**
   * Told about each entry passed over on purpose: a link leading out of the root, a FIFO,
   * socket or device, a pseudo-file-system such as `/proc`. @default ignore them
   */
  onSkip?: (entry: SkippedEntry) => void;
  signal?: AbortSignal;
}

/**
 * Streams the files under `roots` (folders or single files), honouring ignore files.
 *
 * Order: roots in the order given (a root repeated verbatim is walked once); inside a folder,
 * depth first with the entries of each directory sorted by name (UTF-16 code units), so
 * `a/…` comes before `a-b.md`; then what symbolic links lead to, in the order the links were
 * found. Only one directory listing per level is held in memory.
 *
 * Skipped: entries matching {@link DiscoverOptions.defaultExcludes} or `exclude`; entries
 * ignored by `.gitignore` (git semantics, nested files included) or `.gemindexignore` (read
 * after `.gitignore` in the same directory, so it can re-include with `!`); hidden entries
 * unless `hidden`. Passed over and told to `onSkip`: sockets, FIFOs and devices (reading one
 * can block for ever), folders and files on pseudo-file-systems (procfs, sysfs, …), and links
 * whose target lies outside the root unless `followSymlinks`. Files given directly as roots are
 * always yielded, unless they are special files.
 *
 * Each real directory is entered and each real file yielded at most once (by device and
 * inode, across calls sharing `visited`): a file reached again through a symlink, a hard link
 * or an overlapping root is passed over quietly, and a folder reached through several links is
 * walked once. Links are followed after the real entries of their root, so content is found
 * under its real path when it has one; a link is what brings in content found nowhere else
 * (yielded under the link's path). A directory link that leads back to one of its own
 * ancestors is reported as a "symlink loop" problem.
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
  const shared: SharedState = {
    visited: options.visited ?? new VisitedEntries(),
    kinds: new FileSystemKinds(),
    report,
    skip: (entry) => options.onSkip?.(entry),
  };
  const walked = new Set<string>();

  for (const root of roots) {
    signal?.throwIfAborted();
    const absoluteRoot = path.resolve(cwd, root);
    if (walked.has(absoluteRoot)) continue;
    walked.add(absoluteRoot);
    const posix = toPosixPath(absoluteRoot);

    let rootStats: Stats;
    try {
      rootStats = await stat(absoluteRoot);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "root not found" : fsErrorReason(error);
      report(new LoadError(posix, reason, { cause: error }));
      continue;
    }
    const pseudo = await shared.kinds.pseudoFileSystem(absoluteRoot, rootStats.dev);
    if (pseudo !== undefined) {
      shared.skip({ path: posix, code: "pseudo-file-system", detail: pseudo });
    } else if (rootStats.isFile()) {
      if (shared.visited.claimFile(rootStats, posix) !== undefined) continue;
      yield { path: posix, source: posix, relativePath: "", size: rootStats.size, mtimeMs: rootStats.mtimeMs };
    } else if (rootStats.isDirectory()) {
      if (shared.visited.enterDirectory(rootStats)) yield* walkRoot(absoluteRoot, rootStats, options, shared);
    } else {
      shared.skip({ path: posix, code: "special-file", detail: specialKind(rootStats) });
    }
  }
}

/** What every root of one call shares. */
interface SharedState {
  visited: VisitedEntries;
  kinds: FileSystemKinds;
  report: (error: LoadError) => void;
  skip: (entry: SkippedEntry) => void;
}

interface WalkContext extends SharedState {
  source: string;
  /** The root's real path, with a trailing separator: targets starting with it are inside. */
  realRootPrefix: string;
  followSymlinks: boolean;
  ignoreFileNames: readonly string[];
  excludes: Ignore;
  includes: Ignore | undefined;
  hidden: boolean;
  accept: ((path: string) => boolean) | undefined;
  /** Links found by the walk, followed once the real entries of the root are done. */
  links: FoundLink[];
  signal: AbortSignal | undefined;
}

/** A symbolic link waiting to be followed, with what its target is. */
interface FoundLink {
  absolute: string;
  relative: string;
  /** Real path of the folder holding the link: a directory link to it or above it is a loop. */
  realParent: string;
  realTarget: string;
  stats: Stats;
  /** Ignore rules in force where the link sits. */
  rules: IgnoreStack;
}

async function* walkRoot(
  root: string,
  rootStats: Stats,
  options: DiscoverOptions,
  shared: SharedState,
): AsyncGenerator<SourceFile> {
  const ignoreFileNames = options.gitignore === false ? [GEMINDEX_IGNORE_FILE] : [".gitignore", GEMINDEX_IGNORE_FILE];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    shared.report(new LoadError(toPosixPath(root), fsErrorReason(error), { cause: error }));
    return;
  }
  let inherited = await ancestorIgnores(root, ignoreFileNames);
  // A root the repository ignores was still asked for by name: walk it without the rules above it.
  if (inherited.isIgnored("", true)) inherited = IgnoreStack.empty;

  const context: WalkContext = {
    ...shared,
    source: toPosixPath(root),
    realRootPrefix: realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep,
    followSymlinks: options.followSymlinks ?? false,
    ignoreFileNames,
    excludes: ignore().add([...(options.defaultExcludes ?? DEFAULT_EXCLUDES), ...(options.exclude ?? [])]),
    includes: options.include?.length ? ignore().add([...options.include]) : undefined,
    hidden: options.hidden ?? false,
    accept: options.accept,
    links: [],
    signal: options.signal,
  };
  yield* walkDirectory(context, root, "", realRoot, rootStats.dev, inherited);
  for (let link = context.links.shift(); link; link = context.links.shift()) {
    context.signal?.throwIfAborted();
    yield* followLink(context, link);
  }
}

async function* walkDirectory(
  context: WalkContext,
  directory: string,
  relativeDirectory: string,
  realDirectory: string,
  device: number,
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
    if (entry.isSymbolicLink()) {
      await noteLink(context, { absolute, relative, realParent: realDirectory, rules });
      continue;
    }
    // Dirent types come from the listing without a syscall; file systems that report none need a stat.
    const stats =
      entry.isDirectory() || entry.isFile() || specialKind(entry) ? undefined : await statOf(context, absolute);
    const isDirectory = stats ? stats.isDirectory() : entry.isDirectory();
    const isFile = stats ? stats.isFile() : entry.isFile();
    if (isDirectory) {
      if (!included(context, relative, true, rules)) continue;
      const directoryStats = stats ?? (await statOf(context, absolute));
      if (!directoryStats || (await onPseudoFileSystem(context, absolute, directoryStats, device))) continue;
      if (!context.visited.enterDirectory(directoryStats)) continue;
      const realChild = path.join(realDirectory, entry.name);
      yield* walkDirectory(context, absolute, relative, realChild, directoryStats.dev, rules);
    } else if (isFile) {
      if (!included(context, relative, false, rules)) continue;
      const file = await fileAt(context, absolute, relative, stats, device);
      if (file) yield file;
    } else if (stats || specialKind(entry)) {
      if (included(context, relative, false, rules))
        context.skip({ path: toPosixPath(absolute), code: "special-file", detail: specialKind(stats ?? entry) });
    }
  }
}

/**
 * Looks where a symbolic link leads and, unless it is ignored, leads out of the root (without
 * `followSymlinks`) or is broken, keeps it for {@link followLink}.
 */
async function noteLink(
  context: WalkContext,
  link: { absolute: string; relative: string; realParent: string; rules: IgnoreStack },
): Promise<void> {
  const posix = toPosixPath(link.absolute);
  let realTarget: string;
  let stats: Stats;
  try {
    realTarget = await realpath(link.absolute);
    stats = await stat(link.absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "broken symlink (its target does not exist)" : fsErrorReason(error);
    context.report(new LoadError(posix, reason, { cause: error }));
    return;
  }
  if (!included(context, link.relative, stats.isDirectory(), link.rules)) return;
  if (!context.followSymlinks && !`${realTarget}${path.sep}`.startsWith(context.realRootPrefix)) {
    context.skip({ path: posix, code: "symlink-outside-root", target: toPosixPath(realTarget) });
    return;
  }
  context.links.push({ ...link, realTarget, stats });
}

/** Walks a directory link's target or yields a file link's, unless that was done already. */
async function* followLink(context: WalkContext, link: FoundLink): AsyncGenerator<SourceFile> {
  const { stats, realTarget } = link;
  if (stats.isDirectory()) {
    if (link.realParent === realTarget || link.realParent.startsWith(`${realTarget}${path.sep}`)) {
      const message = `symlink loop (points back to ${toPosixPath(realTarget)})`;
      context.report(new LoadError(toPosixPath(link.absolute), message));
      return;
    }
    if (await onPseudoFileSystem(context, link.absolute, stats, undefined)) return;
    if (!context.visited.enterDirectory(stats)) return;
    yield* walkDirectory(context, link.absolute, link.relative, realTarget, stats.dev, link.rules);
  } else if (stats.isFile()) {
    const file = await fileAt(context, link.absolute, link.relative, stats, undefined);
    if (file) yield file;
  } else {
    context.skip({ path: toPosixPath(link.absolute), code: "special-file", detail: specialKind(stats) });
  }
}

/** Whether ignore rules, excludes and (for files) includes let an entry through. */
function included(context: WalkContext, relative: string, isDirectory: boolean, rules: IgnoreStack): boolean {
  if (isDirectory) return !context.excludes.ignores(`${relative}/`) && !rules.isIgnored(relative, true);
  if (context.excludes.ignores(relative) || rules.isIgnored(relative, false)) return false;
  return !context.includes || context.includes.ignores(relative);
}

/** The file as a `SourceFile`, or undefined when it is filtered out, gone, on a pseudo-file-system or seen before. */
async function fileAt(
  context: WalkContext,
  absolute: string,
  relative: string,
  known: Stats | undefined,
  device: number | undefined,
): Promise<SourceFile | undefined> {
  const posix = toPosixPath(absolute);
  if (context.accept && !context.accept(posix)) return undefined;
  // Deleted between the listing and now: nothing to index, but statOf says so.
  const stats = known ?? (await statOf(context, absolute));
  if (!stats || (await onPseudoFileSystem(context, absolute, stats, device))) return undefined;
  if (context.visited.claimFile(stats, posix) !== undefined) return undefined;
  return { path: posix, source: context.source, relativePath: relative, size: stats.size, mtimeMs: stats.mtimeMs };
}

/** stat, or undefined after reporting why not. */
async function statOf(context: WalkContext, absolute: string): Promise<Stats | undefined> {
  try {
    return await stat(absolute);
  } catch (error) {
    context.report(new LoadError(toPosixPath(absolute), fsErrorReason(error), { cause: error }));
    return undefined;
  }
}

/**
 * True (after telling `onSkip`) when the entry lives on a pseudo-file-system. Only entries on
 * another device than their folder (`device`; undefined when unknown, as for link targets) can
 * be: the kernel is asked once per mount.
 */
async function onPseudoFileSystem(
  context: WalkContext,
  absolute: string,
  stats: Stats,
  device: number | undefined,
): Promise<boolean> {
  if (stats.dev === device) return false;
  const name = await context.kinds.pseudoFileSystem(absolute, stats.dev);
  if (name === undefined) return false;
  context.skip({ path: toPosixPath(absolute), code: "pseudo-file-system", detail: name });
  return true;
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
