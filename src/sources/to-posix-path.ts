import path from "node:path";

/**
 * Converts a native path to POSIX separators (`C:\a\b` → `C:/a/b`); a no-op on POSIX systems.
 * Index identities and citations use `/` on every platform so an index built on one OS reads
 * the same on another.
 */
export function toPosixPath(nativePath: string): string {
  return path.sep === "/" ? nativePath : nativePath.split(path.sep).join("/");
}
