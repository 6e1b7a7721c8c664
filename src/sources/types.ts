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
