import { LoadError } from "../../errors.js";
import type { DocumentSection, LoadedContent } from "../types.js";
import { incomplete, type LoadWarning } from "../warnings.js";
import { checkUnpackedSize, officeTitle } from "./office-package.js";
import { readWorkbook, WorkbookFormatError } from "./read-workbook.js";
import { type ZipEntry, ZipFormatError } from "./read-zip-directory.js";
import { type SheetLimits, SheetSectionBuilder } from "./sheet-section.js";

/**
 * What one workbook may contribute; beyond it the rest is left out with a warning. A million
 * rows is about Excel's own limit (1,048,576): sheets are streamed, so the bound on memory is the
 * text kept, not the rows read.
 */
export const XLSX_LIMITS: Readonly<SheetLimits> = { maxRows: 1_000_000, maxColumns: 500, maxCellCharacters: 2_000 };

/**
 * Loads an Excel workbook (`.xlsx`, or any file whose ZIP entries say it is one): one section
 * per sheet that has values, in workbook order, each with `location` = the sheet name and one
 * line per spreadsheet row (`Header: value | …`, see `sheetSection`), so a chunk's line range
 * is a range of spreadsheet rows. Sheets are streamed (see `readWorkbook`), so a sheet of
 * 100,000 rows costs its text, not a tree of its cells. Cached formula results are read, not
 * formulas. At most {@link XLSX_LIMITS} rows (all sheets together), columns and characters per
 * cell are kept; what the limits cut is reported as warnings. The title is the document
 * property `dc:title`.
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
  const sections: DocumentSection[] = [];
  // Whatever the limits cut is not in the index.
  const warnings: LoadWarning[] = [];
  let rowsLeft = limits.maxRows;
  let cutCells = 0;
  try {
    for (const sheet of readWorkbook(bytes, entries)) {
      const builder = new SheetSectionBuilder(sheet.name, rowsLeft, limits);
      sheet.readRows((index, cells) => builder.addRow(index, cells));
      const result = builder.finish();
      rowsLeft -= result.rows;
      cutCells += result.cutCells;
      if (result.section) sections.push(result.section);
      if (result.droppedRows > 0) {
        warnings.push(
          incomplete(
            `sheet "${sheet.name}": ${result.droppedRows} row${result.droppedRows === 1 ? "" : "s"} left out ` +
              `(limit of ${limits.maxRows} rows per workbook)`,
          ),
        );
      }
      if (result.droppedColumns)
        warnings.push(incomplete(`sheet "${sheet.name}": columns after the first ${limits.maxColumns} left out`));
    }
  } catch (error) {
    if (!(error instanceof WorkbookFormatError || error instanceof ZipFormatError)) throw error;
    throw new LoadError(path, `not a valid Excel workbook (${error.message})`, { cause: error });
  }
  if (cutCells > 0)
    warnings.push(
      incomplete(`${cutCells} cell${cutCells === 1 ? "" : "s"} cut to ${limits.maxCellCharacters} characters`),
    );
  const title = officeTitle(bytes, entries);
  return {
    kind: "xlsx",
    ...(title === undefined ? {} : { title }),
    sections,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
