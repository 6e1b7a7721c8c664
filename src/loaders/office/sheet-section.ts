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
  const builder = new SheetSectionBuilder(name, rowBudget, limits);
  for (const [index, row] of rows.entries()) builder.addRow(index, row);
  return builder.finish();
}

/**
 * {@link sheetSection} row by row, for a sheet read as a stream: rows come in increasing order
 * (0-based spreadsheet row index; rows not given are empty), and only the text lines are kept,
 * so a sheet of 100,000 rows never sits in memory as cell values.
 */
export class SheetSectionBuilder {
  readonly #name: string;
  readonly #budget: number;
  readonly #limits: SheetLimits;
  readonly #result: SheetSection = { rows: 0, droppedRows: 0, droppedColumns: false, cutCells: 0 };
  #header?: { index: number; cells: string[] };
  #headers: string[] = [];
  #firstIndex?: number;
  #lastIndex = -1;
  readonly #lines: string[] = [];

  constructor(name: string, rowBudget: number, limits: SheetLimits) {
    this.#name = name;
    this.#budget = rowBudget;
    this.#limits = limits;
  }

  /** Adds spreadsheet row `index + 1`; an empty row may be left out. */
  addRow(index: number, row: readonly unknown[]): void {
    if (!row.some((value) => formatCell(value) !== "")) return;
    if (!this.#header) {
      const cells = this.#cellsOf(row);
      this.#header = { index, cells };
      this.#headers = cells.map((header, column) => (header === "" ? `Column ${columnLetters(column)}` : header));
      return;
    }
    this.#firstIndex ??= index;
    if (this.#result.rows >= this.#budget) {
      this.#result.droppedRows++;
      return;
    }
    // Empty rows between data rows stay as empty lines, so line n is row startLine + n - 1.
    if (this.#lastIndex >= 0) for (let gap = this.#lastIndex + 1; gap < index; gap++) this.#lines.push("");
    this.#lastIndex = index;
    const cells = this.#cellsOf(row);
    this.#lines.push(
      cells
        .map((cell, column) =>
          cell === "" ? "" : `${this.#headers[column] ?? `Column ${columnLetters(column)}`}: ${cell}`,
        )
        .filter((part) => part !== "")
        .join(" | "),
    );
    this.#result.rows++;
  }

  finish(): SheetSection {
    const result = this.#result;
    const header = this.#header;
    if (!header) return result;
    if (this.#firstIndex === undefined) {
      // A single non-empty row: no header, its values joined.
      if (this.#budget <= 0) return { ...result, droppedRows: 1 };
      const text = header.cells.filter((cell) => cell !== "").join(" | ");
      return { ...result, rows: 1, section: { text, startLine: header.index + 1, location: this.#name } };
    }
    if (this.#lines.length === 0) return result;
    return {
      ...result,
      section: { text: this.#lines.join("\n"), startLine: this.#firstIndex + 1, location: this.#name },
    };
  }

  #cellsOf(row: readonly unknown[]): string[] {
    const { maxColumns, maxCellCharacters } = this.#limits;
    if (row.length > maxColumns && row.slice(maxColumns).some((value) => formatCell(value) !== ""))
      this.#result.droppedColumns = true;
    return Array.from(row.slice(0, maxColumns), (value) => {
      const text = formatCell(value);
      if (text.length <= maxCellCharacters) return text;
      this.#result.cutCells++;
      return `${text.slice(0, maxCellCharacters - 1)}…`;
    });
  }
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
