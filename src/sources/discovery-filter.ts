import { readFile } from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { ancestorIgnores } from "./ancestor-ignores.js";
import { DEFAULT_EXCLUDES } from "./default-excludes.js";
import { type DiscoverOptions, GEMINDEX_IGNORE_FILE } from "./discover-files.js";
import { IgnoreStack } from "./ignore-stack.js";
import { toPosixPath } from "./to-posix-path.js";

/** The names of the ignore files discovery reads (a change to one changes what is discovered). */
export const IGNORE_FILE_NAMES: readonly string[] = [".gitignore", GEMINDEX_IGNORE_FILE];

/**
 * Answers "would discovering `root` yield this path?" for one path at a time, without walking the
 * tree: the same default excludes, `exclude`/`include` patterns, `.gitignore`/`.gemindexignore`
 * files (nested ones and the repository's above the root), hidden-entry rule and `accept` filter
 * as {@link discoverFiles}. A file watcher uses it to tell which file events matter. Ignore files
 * are read once per folder and cached; `forget()` drops the cache when one of them changes.
 */
export class DiscoveryFilter {
  readonly root: string;
  readonly #options: DiscoverOptions;
  readonly #excludes: Ignore;
  readonly #includes: Ignore | undefined;
  readonly #ignoreFileNames: readonly string[];
  /** Rules in force inside each folder (relative POSIX path, "" for the root). */
  #rules = new Map<string, Promise<IgnoreStack>>();

  constructor(root: string, options: DiscoverOptions = {}) {
    this.root = toPosixPath(path.resolve(options.cwd ?? process.cwd(), root));
    this.#options = options;
    this.#excludes = ignore().add([...(options.defaultExcludes ?? DEFAULT_EXCLUDES), ...(options.exclude ?? [])]);
    this.#includes = options.include?.length ? ignore().add([...options.include]) : undefined;
    this.#ignoreFileNames = options.gitignore === false ? [GEMINDEX_IGNORE_FILE] : IGNORE_FILE_NAMES;
  }

  /** The path relative to the root (POSIX), or undefined when it lies outside it. */
  relative(absolute: string): string | undefined {
    const relative = path.posix.relative(this.root, toPosixPath(absolute));
    if (relative.startsWith("..") || path.posix.isAbsolute(relative)) return undefined;
    return relative;
  }

  /**
   * True when a folder at `absolute` is never walked, judged by its name alone (hidden, or
   * excluded by pattern): cheap and synchronous, for pruning a watcher. Ignore files are not read.
   */
  prunes(absolute: string): boolean {
    const relative = this.relative(absolute);
    if (relative === undefined) return true;
    if (relative === "") return false;
    const name = relative.slice(relative.lastIndexOf("/") + 1);
    if (!this.#options.hidden && name.startsWith(".")) return true;
    return this.#excludes.ignores(`${relative}/`);
  }

  /** Whether discovery of the root would yield the file at `absolute` (the file need not exist any more). */
  async includesFile(absolute: string): Promise<boolean> {
    const relative = this.relative(absolute);
    if (relative === undefined) return false;
    // A root that is itself a file is always yielded.
    if (relative === "") return true;
    const segments = relative.split("/");
    if (!(await this.#foldersWalked(segments.slice(0, -1)))) return false;
    const name = segments.at(-1)!;
    if (!this.#options.hidden && name.startsWith(".")) return false;
    if (this.#excludes.ignores(relative)) return false;
    const rules = await this.#rulesIn(segments.slice(0, -1).join("/"));
    if (rules.isIgnored(relative, false)) return false;
    if (this.#includes && !this.#includes.ignores(relative)) return false;
    return this.#options.accept ? this.#options.accept(toPosixPath(absolute)) : true;
  }

  /** Whether discovery would walk into the folder at `absolute` (false for the root's outside). */
  async includesFolder(absolute: string): Promise<boolean> {
    const relative = this.relative(absolute);
    if (relative === undefined) return false;
    return relative === "" || this.#foldersWalked(relative.split("/"));
  }

  /** Forgets cached ignore rules (all, or those of `folder` and below), after an ignore file changed. */
  forget(folder?: string): void {
    const relative = folder === undefined ? undefined : this.relative(folder);
    if (relative === undefined || relative === "") {
      this.#rules = new Map();
      return;
    }
    for (const key of this.#rules.keys())
      if (key === relative || key.startsWith(`${relative}/`)) this.#rules.delete(key);
  }

  /** True when every folder on the way (relative segments from the root) is walked. */
  async #foldersWalked(segments: string[]): Promise<boolean> {
    for (let depth = 0; depth < segments.length; depth++) {
      const folder = segments.slice(0, depth + 1).join("/");
      if (!this.#options.hidden && segments[depth]!.startsWith(".")) return false;
      if (this.#excludes.ignores(`${folder}/`)) return false;
      const rules = await this.#rulesIn(segments.slice(0, depth).join("/"));
      if (rules.isIgnored(folder, true)) return false;
    }
    return true;
  }

  /** The rules in force for entries of `folder` (its own ignore files included), as the walk builds them. */
  #rulesIn(folder: string): Promise<IgnoreStack> {
    let rules = this.#rules.get(folder);
    if (!rules) {
      rules = this.#readRules(folder);
      this.#rules.set(folder, rules);
    }
    return rules;
  }

  async #readRules(folder: string): Promise<IgnoreStack> {
    let stack: IgnoreStack;
    if (folder === "") {
      stack = await ancestorIgnores(this.root, this.#ignoreFileNames);
      // A root the repository ignores was still asked for by name (as discovery does).
      if (stack.isIgnored("", true)) stack = IgnoreStack.empty;
    } else {
      const parent = folder.includes("/") ? folder.slice(0, folder.lastIndexOf("/")) : "";
      stack = await this.#rulesIn(parent);
    }
    for (const name of this.#ignoreFileNames) {
      const patterns = await readFile(path.join(this.root, folder, name), "utf8").catch(() => undefined);
      if (patterns !== undefined) stack = stack.with(folder, patterns);
    }
    return stack;
  }
}
