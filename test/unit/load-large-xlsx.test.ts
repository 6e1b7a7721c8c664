import { describe, expect, it } from "vitest";
import { isDateFormat } from "../../src/loaders/office/read-workbook.js";
import { makeXlsx } from "../support/make-xlsx.js";
import { load, useTempFiles } from "./load-helpers.js";

const { temp } = useTempFiles();

describe("loadDocument: a large Excel sheet", () => {
  it("streams a sheet of 100,000 rows: one line per row, numbers and dates as Excel shows them", async () => {
    const rows = 100_000;
    const document = await load(await temp("ledger.xlsx", makeXlsx(rows)));
    expect(document.kind).toBe("xlsx");
    expect(document.warnings).toBeUndefined();
    expect(document.sections).toHaveLength(1);
    const [section] = document.sections;
    expect(section!.location).toBe("Ledger");
    expect(section!.startLine).toBe(2);
    const lines = section!.text.split("\n");
    expect(lines).toHaveLength(rows);
    expect(lines[0]).toBe("Item: item 1 | Amount: 1.5 | Date: 2024-01-02 | Note: steady");
    expect(lines[rows - 1]).toBe(`Item: item ${rows} | Amount: 150000 | Date: 2024-12-21 | Note: steady`);
  });
});

describe("isDateFormat", () => {
  it("tells date and time formats from numbers, text and colours", () => {
    for (const code of ["yyyy-mm-dd", 'd"."m"."yy', "[$-409]h:mm AM/PM", "[h]:mm:ss", "mmm yyyy"])
      expect(isDateFormat(code), code).toBe(true);
    for (const code of ["General", "0.00", '#,##0" days"', "[Red]0.0", "\\d0", "0%"])
      expect(isDateFormat(code), code).toBe(false);
  });
});
