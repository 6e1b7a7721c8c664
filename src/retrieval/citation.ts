import path from "node:path";

/** Shows `absolute` relative to `cwd` when it lies inside it, else as is. */
export function displayPath(absolute: string, cwd: string): string {
  // An object-store URI (s3://bucket/prefix) is shown as given.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(absolute)) return absolute;
  const relative = path.relative(cwd, absolute);
  if (!relative || relative.startsWith("..") || path.isAbsolute(relative)) return absolute;
  return relative.split(path.sep).join("/");
}

/**
 * `path:p3` for a page, `path:L10-L24` for lines, `book.xlsx:Budget!R2-R40` for spreadsheet rows,
 * `talk.mp3@00:01:30` for a labelled place (a time range), `path` otherwise.
 */
export function formatCitation(
  shownPath: string,
  location: { page?: number; lineStart?: number; lineEnd?: number; location?: string; kind?: string },
): string {
  if (location.page !== undefined) return `${shownPath}:p${location.page}`;
  if (location.kind === "xlsx" && location.location !== undefined) {
    const { lineStart, lineEnd } = location;
    const last = lineEnd !== undefined && lineEnd !== lineStart ? `-R${lineEnd}` : "";
    const rows = lineStart === undefined ? "" : `!R${lineStart}${last}`;
    return `${shownPath}:${location.location}${rows}`;
  }
  if (location.location !== undefined && location.lineStart === undefined) return `${shownPath}@${location.location}`;
  if (location.lineStart !== undefined) {
    const end = location.lineEnd ?? location.lineStart;
    return end === location.lineStart
      ? `${shownPath}:L${location.lineStart}`
      : `${shownPath}:L${location.lineStart}-L${end}`;
  }
  return shownPath;
}
