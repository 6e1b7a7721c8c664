import type { DocumentSection } from "../types.js";

/** Bounds on what one workbook contributes to the index. */
export interface SheetLimits {
  /** Data rows kept per workbook, all sheets together. */
  maxRows: number;
  /** Columns read per row (A… onwards). */
  maxColumns: number;
  /** Longer cell texts are cut, ending in "…". */
  maxCellCharacters: number;
}

/** One sheet as a document section, and what the limits cost. */
export interface SheetSection {
  /** Absent when the sheet has no values. */
  section?: DocumentSection;
  /** Non-empty data rows in the section. */
  rows: number;
  /** Non-empty data rows left out because the row limit was reached. */
  droppedRows: number;
  /** Whether values beyond `maxColumns` were left out. */
  droppedColumns: boolean;
  /** Cells whose text was cut to `maxCellCharacters`. */
  cutCells: number;
}

/**
 * Turns a sheet's rows (`rows[0]` is spreadsheet row 1, `row[0]` column A) into text with one
 * line per spreadsheet row: the first non-empty row is the header, and each later row reads
 * `Header1: value1 | Header2: value2`, leaving out empty cells (a column without a header is
 * named by its letter, "Column C"). Empty rows between data rows stay as empty lines, so line
 * `n` of the text is spreadsheet row `startLine + n - 1`; `startLine` is the first data row's
 * number and `location` the sheet name. A sheet with a single non-empty row has no header: its
 * values are joined by " | ". Cell text is kept on one line (line breaks become spaces).
 */
export function sheetSection(
  name: string,
  rows: readonly (readonly unknown[])[],
  rowBudget: number,
  limits: SheetLimits,
): SheetSection {
  const result: SheetSection = { rows: 0, droppedRows: 0, droppedColumns: false, cutCells: 0 };
  const format = (value: unknown) => {
    const text = formatCell(value);
    if (text.length <= limits.maxCellCharacters) return text;
    result.cutCells++;
    return `${text.slice(0, limits.maxCellCharacters - 1)}…`;
  };
  const cellsOf = (row: readonly unknown[]) => {
    if (row.length > limits.maxColumns && row.slice(limits.maxColumns).some((value) => formatCell(value) !== ""))
      result.droppedColumns = true;
    return row.slice(0, limits.maxColumns).map(format);
  };

  const nonEmpty = (row: readonly unknown[] | undefined) => row?.some((value) => formatCell(value) !== "");
  const headerIndex = rows.findIndex((row) => nonEmpty(row));
  if (headerIndex < 0) return result;
  let lastIndex = rows.length - 1;
  while (lastIndex > headerIndex && !nonEmpty(rows[lastIndex])) lastIndex--;

  const headerCells = cellsOf(rows[headerIndex]!);
  if (lastIndex === headerIndex) {
    if (rowBudget <= 0) return { ...result, droppedRows: 1 };
    const text = headerCells.filter((cell) => cell !== "").join(" | ");
    return { ...result, rows: 1, section: { text, startLine: headerIndex + 1, location: name } };
  }

  const headers = headerCells.map((header, column) => (header === "" ? `Column ${columnLetters(column)}` : header));
  let firstIndex = headerIndex + 1;
  while (!nonEmpty(rows[firstIndex])) firstIndex++;
  const lines: string[] = [];
  for (let index = firstIndex; index <= lastIndex; index++) {
    const row = rows[index];
    if (!nonEmpty(row)) {
      lines.push("");
      continue;
    }
    if (result.rows >= rowBudget) {
      result.droppedRows++;
      continue;
    }
    const cells = cellsOf(row!);
    lines.push(
      cells
        .map((cell, column) => (cell === "" ? "" : `${headers[column] ?? `Column ${columnLetters(column)}`}: ${cell}`))
        .filter((part) => part !== "")
        .join(" | "),
    );
    result.rows++;
  }
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) return result;
  return { ...result, section: { text: lines.join("\n"), startLine: firstIndex + 1, location: name } };
}

/**
 * A cell value as text: strings with whitespace runs collapsed to one space, numbers to 15
 * significant digits (as Excel shows them, so 0.1+0.2 reads 0.3), booleans as TRUE/FALSE, and
 * dates as `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`, or `HH:MM[:SS]` for a time of day.
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value.replace(/\s+/g, " ").trim();
  if (typeof value === "number") return Number.isFinite(value) ? String(Number(value.toPrecision(15))) : String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return formatDate(value);
  return String(value).replace(/\s+/g, " ").trim();
}

function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  const pad = (number: number) => String(number).padStart(2, "0");
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const seconds = date.getUTCSeconds();
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}${seconds === 0 ? "" : `:${pad(seconds)}`}`;
  // Excel's day 0 (1899-12-30, or 1899-12-31 in some readers) holds times of day without a date.
  if (date.getUTCFullYear() === 1899 && date.getUTCMonth() === 11 && date.getUTCDate() >= 30) return time;
  return time === "00:00" ? day : `${day} ${time}`;
}

/** Spreadsheet column letters of a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let letters = "";
  for (let value = index + 1; value > 0; value = Math.floor((value - 1) / 26))
    letters = String.fromCharCode(65 + ((value - 1) % 26)) + letters;
  return letters;
}
