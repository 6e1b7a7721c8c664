/** Longest library message kept in a load failure's reason. */
const MAX_SUMMARY = 160;

/**
 * A library error as a short clause for a `LoadError` reason: its first line, whitespace
 * collapsed, a leading "error:" dropped, cut to 160 characters. XML parsers and unzip
 * libraries put positions and stack-like detail on later lines that mean nothing in a run
 * report.
 */
export function summarizeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message
    .split("\n", 1)[0]!
    .replace(/\s+/g, " ")
    .replace(/^(?:error:\s*)+/i, "")
    .trim();
  return firstLine.length > MAX_SUMMARY ? `${firstLine.slice(0, MAX_SUMMARY - 1)}…` : firstLine;
}
