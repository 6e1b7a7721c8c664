import type { Stats } from "node:fs";

/**
 * The real directories entered and real files yielded during one run, by device and inode, so
 * that content reached through several paths (symbolic links, hard links, overlapping roots, a
 * bind mount) is walked and read once: twelve levels of two links each would otherwise index one
 * file 4,096 times. An inode of 0 (some network and FUSE file systems) identifies nothing and is
 * never matched.
 */
export class VisitedEntries {
  readonly #directories = new Set<string>();
  readonly #files = new Map<string, string>();

  /** Marks a directory as entered; false when it was entered before. */
  enterDirectory(stats: Stats): boolean {
    if (stats.ino === 0) return true;
    const key = `${stats.dev}:${stats.ino}`;
    if (this.#directories.has(key)) return false;
    this.#directories.add(key);
    return true;
  }

  /** Claims a file for `path`; returns the path it was claimed under before, or undefined when it is new. */
  claimFile(stats: Stats, path: string): string | undefined {
    if (stats.ino === 0) return undefined;
    const key = `${stats.dev}:${stats.ino}`;
    const first = this.#files.get(key);
    if (first !== undefined) return first;
    this.#files.set(key, path);
    return undefined;
  }
}
