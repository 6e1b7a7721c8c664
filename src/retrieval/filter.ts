import path from "node:path";
import { ConfigError } from "../errors.js";
import { sqlIn, sqlString } from "../store/sql.js";
import type { SearchFilter } from "./types.js";

/**
 * Translates a path glob to a regular expression the index's SQL engine (Rust regex: no
 * look-around) accepts. `*` and `?` stay within one path segment, `**` spans segments, `{a,b}`
 * is alternation. A pattern without a slash matches the file name at any depth; a relative
 * pattern is anchored at `cwd`.
 */
export function globToRegex(glob: string, cwd: string): string {
  let pattern = glob.split(path.sep).join("/");
  if (!pattern.includes("/")) pattern = `**/${pattern}`;
  else if (!pattern.startsWith("/"))
    pattern = `${cwd.split(path.sep).join("/").replace(/\/$/, "")}/${pattern.replace(/^\.\//, "")}`;
  let out = "^";
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        const slashAfter = pattern[i + 2] === "/";
        out += slashAfter ? "(?:.*/)?" : ".*";
        i += slashAfter ? 2 : 1;
      } else out += "[^/]*";
    } else if (char === "?") out += "[^/]";
    else if (char === "{") {
      braces++;
      out += "(?:";
    } else if (char === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (char === "," && braces > 0) out += "|";
    else out += /[\\^$.|+()[\]{}]/.test(char) ? `\\${char}` : char;
  }
  if (braces > 0) throw new ConfigError(`Unbalanced "{" in path filter ${JSON.stringify(glob)}.`);
  return `${out}$`;
}

/** How the index's rows name a chunk's absolute path and source root in SQL (see Store.filterColumns). */
export interface FilterColumns {
  absolutePath: string;
  sourceIn: (sources: readonly string[]) => string;
}

/** Rows that hold absolute paths and source roots as columns (an index of layout 3). */
const plainColumns: FilterColumns = { absolutePath: "path", sourceIn: (sources) => sqlIn("source", sources) };

/** The SQL predicate for a filter, or undefined when it filters nothing. */
export function filterToWhere(
  filter: SearchFilter | undefined,
  cwd: string,
  columns: FilterColumns = plainColumns,
): string | undefined {
  if (!filter) return undefined;
  const clauses: string[] = [];
  if (filter.paths?.length) {
    clauses.push(
      `(${filter.paths
        .map((glob) => `regexp_like(${columns.absolutePath}, ${sqlString(globToRegex(glob, cwd))})`)
        .join(" OR ")})`,
    );
  }
  if (filter.kinds?.length) clauses.push(sqlIn("kind", filter.kinds));
  if (filter.sources?.length) {
    clauses.push(columns.sourceIn(filter.sources.map((source) => path.resolve(cwd, source).split(path.sep).join("/"))));
  }
  return clauses.length > 0 ? clauses.join(" AND ") : undefined;
}
