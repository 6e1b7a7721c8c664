import sax from "sax";
import type { ZipEntry } from "./read-zip-directory.js";
import { zipEntryText } from "./zip-entry-text.js";

/** A workbook part that is not what SpreadsheetML says it must be. */
export class WorkbookFormatError extends Error {
  override readonly name = "WorkbookFormatError";
}

/** A cell value as a spreadsheet shows it: text, a number, a boolean or a date. */
export type CellValue = string | number | boolean | Date;

/** One sheet of a workbook, in workbook order. */
export interface WorkbookSheet {
  name: string;
  /**
   * Streams the sheet's rows in order: `onRow(index, cells)` with the 0-based row index and the
   * values by 0-based column (holes for empty cells); empty rows may be left out.
   */
  readRows(onRow: (index: number, cells: CellValue[]) => void): void;
}

/**
 * Reads an Excel workbook (SpreadsheetML inside a ZIP held in memory) sheet by sheet, streaming
 * each sheet's XML through a SAX parser as it unpacks, so memory follows one row, the shared
 * strings and what the caller keeps — not the sheet (read-excel-file built the whole sheet as a
 * tree and failed on sheets of 30,000 rows). Cached formula results are read, not formulas;
 * number cells styled as dates or times become `Date`s (1900 or 1904 date system, UTC).
 *
 * @throws WorkbookFormatError or ZipFormatError for a damaged or incomplete package.
 */
export function readWorkbook(bytes: Uint8Array, entries: readonly ZipEntry[]): WorkbookSheet[] {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const part = (name: string) => byName.get(name);
  const workbook = part("xl/workbook.xml");
  if (!workbook) throw new WorkbookFormatError("no xl/workbook.xml");
  const { sheets, date1904 } = readSheetList(bytes, workbook);
  const targets = readRelationships(bytes, part("xl/_rels/workbook.xml.rels"));
  const sharedStrings = readSharedStrings(bytes, part("xl/sharedStrings.xml"));
  const dateStyles = readDateStyles(bytes, part("xl/styles.xml"));
  const result: WorkbookSheet[] = [];
  for (const sheet of sheets) {
    const target = targets.get(sheet.relationship);
    const entry = target === undefined ? undefined : part(target);
    // Chart sheets and dialog sheets have no cells.
    if (!entry || !/\/worksheets\//.test(entry.name)) continue;
    result.push({
      name: sheet.name,
      readRows: (onRow) => readSheetRows(bytes, entry, { sharedStrings, dateStyles, date1904 }, onRow),
    });
  }
  return result;
}

/** Parses one XML part with SAX, telling `handlers` of elements (local names, prefixes dropped) and text. */
function parsePart(
  bytes: Uint8Array,
  entry: ZipEntry,
  handlers: {
    open?: (name: string, attributes: Record<string, string>) => void;
    close?: (name: string) => void;
    text?: (text: string) => void;
  },
): void {
  const parser = sax.parser(true, { trim: false, normalize: false, lowercase: false });
  parser.onerror = (error) => {
    throw new WorkbookFormatError(`${entry.name}: ${error.message.split("\n")[0]}`);
  };
  const local = (name: string) => name.slice(name.indexOf(":") + 1);
  if (handlers.open) {
    const open = handlers.open;
    parser.onopentag = (node) => open(local(node.name), node.attributes as Record<string, string>);
  }
  if (handlers.close) {
    const close = handlers.close;
    parser.onclosetag = (name) => close(local(name));
  }
  if (handlers.text) {
    parser.ontext = handlers.text;
    parser.oncdata = handlers.text;
  }
  for (const piece of zipEntryText(bytes, entry)) parser.write(piece);
  parser.close();
}

function readSheetList(bytes: Uint8Array, workbook: ZipEntry) {
  const sheets: Array<{ name: string; relationship: string }> = [];
  let date1904 = false;
  parsePart(bytes, workbook, {
    open(name, attributes) {
      if (name === "workbookPr") date1904 = attributes.date1904 === "1" || attributes.date1904 === "true";
      if (name !== "sheet") return;
      // The relationship attribute is `r:id` with whatever prefix the file binds to the namespace.
      const relationship = Object.entries(attributes).find(([key]) => key.endsWith(":id"))?.[1];
      if (attributes.name !== undefined && relationship !== undefined)
        sheets.push({ name: attributes.name, relationship });
    },
  });
  return { sheets, date1904 };
}

/** Relationship id → part name (targets are relative to `xl/`, or absolute from the package root). */
function readRelationships(bytes: Uint8Array, rels: ZipEntry | undefined): Map<string, string> {
  const targets = new Map<string, string>();
  if (!rels) return targets;
  parsePart(bytes, rels, {
    open(name, attributes) {
      if (name !== "Relationship" || attributes.Id === undefined || attributes.Target === undefined) return;
      if (attributes.TargetMode === "External") return;
      const target = attributes.Target.startsWith("/") ? attributes.Target.slice(1) : `xl/${attributes.Target}`;
      targets.set(attributes.Id, normalizePartName(target));
    },
  });
  return targets;
}

function normalizePartName(name: string): string {
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** The shared string table: each `<si>`'s text (rich-text runs joined, phonetic runs left out). */
function readSharedStrings(bytes: Uint8Array, entry: ZipEntry | undefined): string[] {
  const strings: string[] = [];
  if (!entry) return strings;
  let current: string[] | undefined;
  let inText = false;
  let phonetic = 0;
  parsePart(bytes, entry, {
    open(name) {
      if (name === "si") current = [];
      else if (name === "rPh") phonetic++;
      else if (name === "t") inText = phonetic === 0;
    },
    close(name) {
      if (name === "si") {
        strings.push(current?.join("") ?? "");
        current = undefined;
      } else if (name === "rPh") phonetic--;
      else if (name === "t") inText = false;
    },
    text(text) {
      if (inText) current?.push(text);
    },
  });
  return strings;
}

/** Built-in number formats that show dates or times (ECMA-376 §18.8.30, plus the East Asian ones). */
const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56,
  57, 58,
]);

/** Whether a custom format code shows a date or time: d, m, y, h or s outside quotes, escapes and [colour] tags. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, "")
    .replace(/\\./g, "")
    .replace(/\[(?:h+|m+|s+)\]/gi, "h")
    .replace(/\[[^\]]*\]/g, "");
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** Indexes into `cellXfs` (a cell's `s`) whose number format shows a date or time. */
function readDateStyles(bytes: Uint8Array, entry: ZipEntry | undefined): Set<number> {
  const dates = new Set<number>();
  if (!entry) return dates;
  const customDates = new Set<number>();
  let inCellXfs = false;
  let xfIndex = 0;
  parsePart(bytes, entry, {
    open(name, attributes) {
      if (name === "numFmt" && attributes.formatCode !== undefined && isDateFormat(attributes.formatCode))
        customDates.add(Number(attributes.numFmtId));
      else if (name === "cellXfs") inCellXfs = true;
      else if (name === "xf" && inCellXfs) {
        const id = Number(attributes.numFmtId ?? 0);
        if (BUILT_IN_DATE_FORMATS.has(id) || customDates.has(id)) dates.add(xfIndex);
        xfIndex++;
      }
    },
    close(name) {
      if (name === "cellXfs") inCellXfs = false;
    },
  });
  return dates;
}

interface SheetContext {
  sharedStrings: readonly string[];
  dateStyles: ReadonlySet<number>;
  date1904: boolean;
}

const DAY_MS = 86_400_000;
/** Day 0 of the 1900 date system (Excel counts 1900 as a leap year, so serials from 61 on land right). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

function readSheetRows(
  bytes: Uint8Array,
  entry: ZipEntry,
  context: SheetContext,
  onRow: (index: number, cells: CellValue[]) => void,
): void {
  let rowIndex = -1;
  let cells: CellValue[] = [];
  let cell: { column: number; type: string; style: number; value: string[] } | undefined;
  let nextColumn = 0;
  let inValue = false;
  parsePart(bytes, entry, {
    open(name, attributes) {
      if (name === "row") {
        rowIndex = attributes.r === undefined ? rowIndex + 1 : Number(attributes.r) - 1;
        cells = [];
        nextColumn = 0;
      } else if (name === "c") {
        const column = attributes.r === undefined ? nextColumn : columnIndex(attributes.r);
        nextColumn = column + 1;
        cell = { column, type: attributes.t ?? "n", style: Number(attributes.s ?? 0), value: [] };
      } else if (cell && (name === "v" || (name === "t" && cell.type === "inlineStr"))) inValue = true;
    },
    close(name) {
      if (name === "v" || name === "t") inValue = false;
      else if (name === "c" && cell) {
        const value = cellValue(cell.type, cell.value.join(""), cell.style, context);
        if (value !== undefined) cells[cell.column] = value;
        cell = undefined;
      } else if (name === "row") {
        if (rowIndex >= 0 && cells.length > 0) onRow(rowIndex, cells);
      }
    },
    text(text) {
      if (inValue) cell?.value.push(text);
    },
  });
}

function cellValue(type: string, raw: string, style: number, context: SheetContext): CellValue | undefined {
  switch (type) {
    case "s":
      return context.sharedStrings[Number(raw)];
    case "str":
    case "inlineStr":
    case "e":
      return raw;
    case "b":
      return raw === "1" || raw === "true";
    case "d": {
      const date = new Date(raw);
      return Number.isNaN(date.getTime()) ? raw : date;
    }
    default: {
      if (raw === "") return undefined;
      const number = Number(raw);
      if (!Number.isFinite(number)) return raw;
      if (!context.dateStyles.has(style)) return number;
      const epoch = context.date1904 ? EPOCH_1904 : EPOCH_1900;
      // Whole seconds: serials carry floating-point noise (0.5 days ± 1e-11).
      return new Date(epoch + Math.round((number * DAY_MS) / 1000) * 1000);
    }
  }
}

/** 0-based column of a cell reference: "A1" → 0, "AB12" → 27. */
function columnIndex(reference: string): number {
  let column = 0;
  for (const character of reference) {
    const code = character.charCodeAt(0);
    if (code < 65 || code > 90) break;
    column = column * 26 + (code - 64);
  }
  return column - 1;
}
