import type * as lancedb from "@lancedb/lancedb";
import type { RecordBatch } from "apache-arrow";
import { firstLine } from "./connect.js";

/** Rows a scan could not read, by position in the table (a fragment with a damaged data file). */
export interface UnreadableRange {
  offset: number;
  rows: number;
  reason: string;
}

/** What reading every row of a table found. */
export interface TableScan {
  /** Rows the table's metadata declares. */
  declared: number;
  /** Rows read. */
  read: number;
  unreadable: UnreadableRange[];
}

export interface ScanTableOptions {
  /** Columns to read (default: every column, so every data file is read whole). */
  columns?: string[];
  /** Adds `_rowid` to each batch (to delete particular rows later). */
  withRowId?: boolean;
  /** Rows per read. @default 4096 */
  window?: number;
  visit: (batch: RecordBatch) => void | Promise<void>;
}

/**
 * Reads every row of a table in windows, and reads around what cannot be read: a window that
 * fails is narrowed to its readable prefix (binary search), then the end of the damaged run is
 * found by probing single rows at doubling distances. Each row is visited once. A damaged run is
 * assumed contiguous (a fragment); two damaged fragments close together may hide readable rows
 * between them, which then count as unreadable.
 */
export async function scanTable(table: lancedb.Table, options: ScanTableOptions): Promise<TableScan> {
  const window = options.window ?? 4096;
  const declared = await table.countRows();
  const scan: TableScan = { declared, read: 0, unreadable: [] };
  const read = async (offset: number, rows: number): Promise<RecordBatch[] | string> => {
    try {
      const query = table.query().offset(offset).limit(rows);
      if (options.columns) query.select(options.columns);
      if (options.withRowId) query.withRowId();
      const batches: RecordBatch[] = [];
      for await (const batch of query) batches.push(batch);
      return batches;
    } catch (error) {
      return firstLine(error instanceof Error ? error.message : String(error));
    }
  };
  const visit = async (batches: RecordBatch[]) => {
    for (const batch of batches) {
      scan.read += batch.numRows;
      await options.visit(batch);
    }
  };
  let position = 0;
  while (position < declared) {
    const size = Math.min(window, declared - position);
    const whole = await read(position, size);
    if (typeof whole !== "string") {
      await visit(whole);
      position += size;
      continue;
    }
    // The longest readable prefix of the window.
    let good = 0;
    let bad = size;
    let prefix: RecordBatch[] = [];
    while (bad - good > 1) {
      const middle = Math.floor((good + bad) / 2);
      const attempt = await read(position, middle);
      if (typeof attempt === "string") bad = middle;
      else {
        good = middle;
        prefix = attempt;
      }
    }
    await visit(prefix);
    const start = position + good;
    const end = await endOfDamage(start, declared, async (row) => typeof (await read(row, 1)) !== "string");
    scan.unreadable.push({ offset: start, rows: end - start, reason: whole });
    position = end;
  }
  return scan;
}

/** The first readable row after the unreadable row `start` (or `total`). */
async function endOfDamage(start: number, total: number, readable: (row: number) => Promise<boolean>): Promise<number> {
  let lastBad = start;
  let step = 1;
  let probe = start + step;
  while (probe < total && !(await readable(probe))) {
    lastBad = probe;
    step *= 2;
    probe = start + step;
  }
  let firstGood = Math.min(probe, total);
  while (firstGood - lastBad > 1) {
    const middle = Math.floor((lastBad + firstGood) / 2);
    if (await readable(middle)) firstGood = middle;
    else lastBad = middle;
  }
  return firstGood;
}
