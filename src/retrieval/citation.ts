import path from "node:path";

/** Shows `absolute` relative to `cwd` when it lies inside it, else as is. */
export function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  if (!relative || relative.startsWith("..") || path.isAbsolute(relative)) return absolute;
  return relative.split(path.sep).join("/");
}

/** `path:p3` for a page, `path:L10-L24` for lines, `path` otherwise. */
export function formatCitation(shownPath: string, location: { page?: number; lineStart?: number; lineEnd?: number }): string {
  if (location.page !== undefined) return `${shownPath}:p${location.page}`;
  if (location.lineStart !== undefined) {
    const end = location.lineEnd ?? location.lineStart;
    return end === location.lineStart ? `${shownPath}:L${location.lineStart}` : `${shownPath}:L${location.lineStart}-L${end}`;
  }
  return shownPath;
}
