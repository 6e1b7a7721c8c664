import { describe, expect, it } from "vitest";

import { columnLetters, formatCell, sheetSection } from "../../src/loaders/office/sheet-section.js";

const limits = { maxRows: 1000, maxColumns: 100, maxCellCharacters: 200 };

describe("sheetSection", () => {
  it(`takes the first non-empty row as header, numbers lines by spreadsheet row, \
and keeps empty rows as blank lines`, () => {
    const rows = [
      [],
      [null, null],
      [null, "Gauge", "Level", null],
      [null, "North", 2.41, null],
      [],
      [null, "Quay", null, "jammed"],
      [null, null, null, null],
    ];
    expect(sheetSection("Log", rows, 100, limits)).toEqual({
      rows: 2,
      droppedRows: 0,
      droppedColumns: false,
      cutCells: 0,
      section: { location: "Log", startLine: 4, text: "Gauge: North | Level: 2.41\n\nGauge: Quay | Column D: jammed" },
    });
  });

  it("reads a single row as values without a header, and an empty sheet as nothing", () => {
    expect(sheetSection("One", [[], ["only", "row", null, 3]], 100, limits).section).toEqual({
      location: "One",
      startLine: 2,
      text: "only | row | 3",
    });
    expect(sheetSection("None", [[], [null, ""]], 100, limits)).toEqual({
      rows: 0,
      droppedRows: 0,
      droppedColumns: false,
      cutCells: 0,
    });
  });

  it("keeps each row on one line and stops at the row budget", () => {
    const rows = [["Note"], ["first\nline  and\tmore"], ["second"], ["third"]];
    const result = sheetSection("Notes", rows, 2, limits);
    expect(result.section!.text).toBe("Note: first line and more\nNote: second");
    expect(result.droppedRows).toBe(1);
  });
});

describe("formatCell", () => {
  it("writes values as a spreadsheet shows them", () => {
    expect(formatCell(0.1 + 0.2)).toBe("0.3");
    expect(formatCell(1234567.5)).toBe("1234567.5");
    expect(formatCell(true)).toBe("TRUE");
    expect(formatCell(false)).toBe("FALSE");
    expect(formatCell(new Date(Date.UTC(2024, 2, 12)))).toBe("2024-03-12");
    expect(formatCell(new Date(Date.UTC(2024, 2, 12, 6, 30)))).toBe("2024-03-12 06:30");
    expect(formatCell(new Date(Date.UTC(1899, 11, 30, 14, 5, 9)))).toBe("14:05:09");
    expect(formatCell(null)).toBe("");
    expect(formatCell("  spaced   out  ")).toBe("spaced out");
  });
});

describe("columnLetters", () => {
  it("names columns as a spreadsheet does", () => {
    expect([0, 25, 26, 51, 52, 701, 702].map(columnLetters)).toEqual(["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
  });
});
