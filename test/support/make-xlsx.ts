import { strToU8, zipSync } from "fflate";

const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml";
const RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/**
 * A minimal real .xlsx (SpreadsheetML in a ZIP, as Excel writes it) with one sheet: a header row
 * of `columns` names, then `rows` data rows — a shared string, a number and a date (styled with
 * Excel's built-in date format 14) in turn. Row r (1-based data row) reads: `item r`, `r * 1.5`,
 * 2024-01-01 + (r mod 365) days.
 */
export function makeXlsx(rows: number, columns = ["Item", "Amount", "Date", "Note"]): Uint8Array {
  const shared = [...columns, ...Array.from({ length: rows }, (_, r) => `item ${r + 1}`), "steady"];
  const letters = (index: number) => String.fromCharCode(65 + index);
  const parts: string[] = [`<row r="1">`];
  for (const c of columns.keys()) parts.push(`<c r="${letters(c)}1" t="s"><v>${c}</v></c>`);
  parts.push("</row>");
  const jan1 = 45292; // 2024-01-01 as an Excel serial
  for (let r = 1; r <= rows; r++) {
    const n = r + 1;
    parts.push(
      `<row r="${n}"><c r="A${n}" t="s"><v>${columns.length + r - 1}</v></c><c r="B${n}"><v>${r * 1.5}</v></c>` +
        `<c r="C${n}" s="1"><v>${jan1 + (r % 365)}</v></c><c r="D${n}" t="s"><v>${shared.length - 1}</v></c></row>`,
    );
  }
  const sheet =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet ` +
    `xmlns="${MAIN}"><sheetData>${parts.join("")}</sheetData></worksheet>`;
  const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const files: Record<string, Uint8Array> = {
    "[Content_Types].xml": strToU8(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`,
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`,
        `<Default Extension="xml" ContentType="application/xml"/>`,
        `<Override PartName="/xl/workbook.xml" ContentType="${SHEET_TYPE}.sheet.main+xml"/>`,
        `<Override PartName="/xl/worksheets/sheet1.xml" ContentType="${SHEET_TYPE}.worksheet+xml"/>`,
        `<Override PartName="/xl/sharedStrings.xml" ContentType="${SHEET_TYPE}.sharedStrings+xml"/>`,
        `<Override PartName="/xl/styles.xml" ContentType="${SHEET_TYPE}.styles+xml"/>`,
        "</Types>",
      ].join(""),
    ),
    "_rels/.rels": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><Relationships ` +
        (`xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" ` +
          `Type="${RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    ),
    "xl/workbook.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${RELS}"><sheets><sheet ` +
        `name="Ledger" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`,
        `<Relationship Id="rId1" Type="${RELS}/worksheet" Target="worksheets/sheet1.xml"/>`,
        `<Relationship Id="rId2" Type="${RELS}/sharedStrings" Target="sharedStrings.xml"/>`,
        `<Relationship Id="rId3" Type="${RELS}/styles" Target="styles.xml"/>`,
        "</Relationships>",
      ].join(""),
    ),
    "xl/sharedStrings.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}" count="${shared.length}" ` +
        `uniqueCount="${shared.length}">${shared.map((text) => `<si><t>${escapeXml(text)}</t></si>`).join("")}</sst>`,
    ),
    "xl/styles.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf ` +
        `numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    ),
    "xl/worksheets/sheet1.xml": strToU8(sheet),
  };
  return zipSync(files, { level: 1 });
}
