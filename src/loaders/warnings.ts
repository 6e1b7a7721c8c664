/**
 * Something noted while loading a file, without failing it. The kind is the fact a caller acts
 * on: "converted" — the file was read whole, in another form (a GIF as PNG, Shift_JIS decoded,
 * a Word file's conversion notes); "incomplete" — part of it is not in the index (an unreadable
 * or unread page, a left-out linked image, cut cells, bytes replaced by U+FFFD, text set aside as data).
 */
export interface LoadWarning {
  kind: "converted" | "incomplete";
  message: string;
}

/** The file was read whole, in another form. */
export function converted(message: string): LoadWarning {
  return { kind: "converted", message };
}

/** Part of the file is not in the index. */
export function incomplete(message: string): LoadWarning {
  return { kind: "incomplete", message };
}
