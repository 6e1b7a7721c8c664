import { LoadError } from "../../errors.js";
import type { DocumentSection, LoadedContent } from "../types.js";
import { checkUnpackedSize, officeTitle, summarizeError } from "./office-package.js";
import type { ZipEntry } from "./read-zip-directory.js";
import { type SheetLimits, sheetSection } from "./sheet-section.js";

/** What one workbook may contribute; beyond it the rest is left out with a warning. */
export const XLSX_LIMITS: Readonly<SheetLimits> = { maxRows: 50_000, maxColumns: 500, maxCellCharacters: 2_000 };

/**
 * Loads an Excel workbook (`.xlsx`, or any file whose ZIP entries say it is one) with
 * read-excel-file: one section per sheet that has values, in workbook order, each with
 * `location` = the sheet name and one line per spreadsheet row (`Header: value | …`, see
 * `sheetSection`), so a chunk's line range is a range of spreadsheet rows. Cached formula
 * results are read, not formulas. At most {@link XLSX_LIMITS} rows (all sheets together),
 * columns and characters per cell are kept; what the limits cut is reported as warnings. The
 * title is the document property `dc:title`.
 *
 * @throws LoadError "not a valid Excel workbook (…)" for a damaged package, or when it
 * unpacks to more than 256 MiB.
 */
export async function loadXlsx(
  path: string,
  bytes: Uint8Array,
  entries: readonly ZipEntry[],
  limits: SheetLimits = XLSX_LIMITS,
): Promise<LoadedContent> {
  checkUnpackedSize(path, entries, "Excel workbook");
  // Imported on first use: most runs index no workbook.
  const { default: readXlsxFile } = await import("read-excel-file/node");
  let sheets: Array<{ sheet: string; data: unknown[][] }>;
  try {
    sheets = (await readXlsxFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) as Array<{
      sheet: string;
      data: unknown[][];
    }>;
  } catch (error) {
    throw new LoadError(path, `not a valid Excel workbook (${describe(error)})`, { cause: error });
  }

  const sections: DocumentSection[] = [];
  const warnings: string[] = [];
  let rowsLeft = limits.maxRows;
  let cutCells = 0;
  for (const { sheet, data } of sheets) {
    const result = sheetSection(sheet, data, rowsLeft, limits);
    rowsLeft -= result.rows;
    cutCells += result.cutCells;
    if (result.section) sections.push(result.section);
    if (result.droppedRows > 0) {
      warnings.push(
        `sheet "${sheet}": ${result.droppedRows} row${result.droppedRows === 1 ? "" : "s"} left out (limit of ${limits.maxRows} rows per workbook)`,
      );
    }
    if (result.droppedColumns) warnings.push(`sheet "${sheet}": columns after the first ${limits.maxColumns} left out`);
  }
  if (cutCells > 0)
    warnings.push(`${cutCells} cell${cutCells === 1 ? "" : "s"} cut to ${limits.maxCellCharacters} characters`);
  const title = officeTitle(bytes, entries);
  return {
    kind: "xlsx",
    ...(title === undefined ? {} : { title }),
    sections,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** read-excel-file's errors carry a code ("INVALID_ZIP") and a message ("Couldn't unzip…"). */
function describe(error: unknown): string {
  const summary = summarizeError(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && !summary.includes(code) ? `${summary}: ${code}` : summary;
}
