/** A file found by discovery: the input of the load stage. */
export interface SourceFile {
  /** Absolute path with POSIX separators; the document's identity in the index. */
  path: string;
  /** Absolute path of the root it was discovered under (a folder, or the file itself). */
  source: string;
  /** Path relative to `source` with POSIX separators ("" when the root is the file). */
  relativePath: string;
  /** Size in bytes. */
  size: number;
  /** Modification time in ms since the epoch. */
  mtimeMs: number;
}

/**
 * Why discovery passed over an entry it found (not a failure: nothing went wrong, the entry is
 * not a document to index):
 * - `symlink-outside-root`: a symbolic link whose target lies outside the folder being indexed
 *   (followed only with `followSymlinks`);
 * - `special-file`: a FIFO, socket or device, which has no content to read (reading a FIFO or a
 *   device can block for ever);
 * - `pseudo-file-system`: a folder or file on a kernel file system (procfs, sysfs, …).
 */
export type SkipCode = "symlink-outside-root" | "special-file" | "pseudo-file-system";

/** An entry discovery passed over on purpose, for the run report; the CLI words it by `code`. */
export interface SkippedEntry {
  /** Absolute POSIX path of the entry as found (the link, not its target). */
  path: string;
  code: SkipCode;
  /** Where a symbolic link leads (absolute POSIX path), for `symlink-outside-root`. */
  target?: string;
  /**
   * What the entry is: the kind of special file ("FIFO (named pipe)", "socket", "character device") or the file system
   * ("proc", "sysfs").
   */
  detail?: string;
}
