/** Quotes a string as an SQL literal for LanceDB predicates (`'` doubled). */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `column IN ('a', 'b')` for a non-empty list. */
export function sqlIn(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map(sqlString).join(", ")})`;
}

/** Splits a list into pieces of at most `size`, so predicates stay a reasonable length. */
export function inPieces<T>(values: readonly T[], size: number): T[][] {
  const pieces: T[][] = [];
  for (let i = 0; i < values.length; i += size) pieces.push(values.slice(i, i + size));
  return pieces;
}
