import { createHash } from "node:crypto";
import { sqlString } from "./sql.js";

/** A root as the index records it: where its documents live now, and whether it is a folder or a single file. */
export interface RootEntry {
  /** Stable id stored in every row (a short hash of the path it was first indexed from). */
  id: string;
  /** Absolute POSIX path (or URI) of the folder or file, as of the last run that saw it. */
  path: string;
  kind: "folder" | "file";
}

/** The registry as the meta table keeps it (one row): id → entry. */
export type RootsValue = Record<string, { path: string; kind: "folder" | "file" }>;

/**
 * The roots of an index (layout 4): rows store a root id and a path relative to that root, so a
 * moved or re-mounted folder is one registry change away from being found again, and citations
 * show wherever the folder is now. This class translates between the absolute paths the rest of
 * gemindex uses and the stored (root, relative path) pairs.
 */
export class Roots {
  readonly #byId = new Map<string, RootEntry>();
  readonly #byPath = new Map<string, RootEntry>();

  constructor(value: RootsValue = {}) {
    for (const [id, entry] of Object.entries(value)) this.#add({ id, ...entry });
  }

  #add(entry: RootEntry): void {
    this.#byId.set(entry.id, entry);
    this.#byPath.set(entry.path, entry);
  }

  get entries(): RootEntry[] {
    return [...this.#byId.values()];
  }

  get(id: string): RootEntry | undefined {
    return this.#byId.get(id);
  }

  /** The root registered for exactly this path. */
  find(path: string): RootEntry | undefined {
    return this.#byPath.get(path);
  }

  /**
   * The root for `path` (a run's source root), registering it when new. The id is a hash of the
   * path, so two writers registering the same root agree on it; a clash with another root (a
   * root re-rooted away from this path) takes the next free suffix.
   */
  register(path: string, kind: RootEntry["kind"]): { entry: RootEntry; added: boolean } {
    const known = this.#byPath.get(path);
    if (known) return { entry: known, added: false };
    const base = createHash("sha256").update(path).digest("hex").slice(0, 12);
    let id = base;
    for (let n = 2; this.#byId.has(id); n++) id = `${base}-${n}`;
    const entry: RootEntry = { id, path, kind };
    this.#add(entry);
    return { entry, added: true };
  }

  /** Points a root at its new place (a moved or re-mounted folder). */
  reroot(id: string, path: string): void {
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byPath.delete(entry.path);
    entry.path = path;
    this.#byPath.set(path, entry);
  }

  forget(id: string): void {
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    this.#byPath.delete(entry.path);
  }

  toJSON(): RootsValue {
    return Object.fromEntries(this.entries.map(({ id, path, kind }) => [id, { path, kind }]));
  }

  /** A stored (root, relative path) as an absolute path and its source root (unknown roots keep the path). */
  resolve(root: string | null | undefined, relative: string): { path: string; source: string } {
    const entry = root ? this.#byId.get(root) : undefined;
    if (!entry) return { path: relative, source: root ?? "" };
    return { path: relative === "" ? entry.path : `${entry.path}/${relative}`, source: entry.path };
  }

  /** An absolute path under a registered root, as stored: undefined when `source` is not registered. */
  place(source: string, absolute: string): { root: string; path: string } | undefined {
    const entry = this.#byPath.get(source);
    if (!entry) return undefined;
    if (absolute === entry.path) return { root: entry.id, path: "" };
    const prefix = `${entry.path}/`;
    return absolute.startsWith(prefix) ? { root: entry.id, path: absolute.slice(prefix.length) } : undefined;
  }

  /** Every (root, relative path) an absolute path could be stored as (nested roots give several). */
  candidates(absolute: string): Array<{ root: string; path: string }> {
    const found: Array<{ root: string; path: string }> = [];
    for (const entry of this.#byId.values()) {
      if (absolute === entry.path) found.push({ root: entry.id, path: "" });
      else if (absolute.startsWith(`${entry.path}/`))
        found.push({ root: entry.id, path: absolute.slice(entry.path.length + 1) });
    }
    return found;
  }

  /** An SQL predicate matching rows whose absolute path is one of `absolutes` (index-friendly: root and path). */
  pathIn(absolutes: readonly string[]): string {
    const clauses = absolutes.flatMap((absolute) =>
      this.candidates(absolute).map(
        (candidate) => `(root = ${sqlString(candidate.root)} AND path = ${sqlString(candidate.path)})`,
      ),
    );
    return clauses.length > 0 ? `(${clauses.join(" OR ")})` : "false";
  }

  /** An SQL expression for a row's absolute path (for path filters and globs). */
  absolutePathSql(): string {
    const entries = this.entries;
    if (entries.length === 0) return "path";
    const cases = entries
      .map((entry) => {
        const prefix = entry.kind === "folder" ? `${entry.path}/` : entry.path;
        return `WHEN ${sqlString(entry.id)} THEN concat(${sqlString(prefix)}, path)`;
      })
      .join(" ");
    return `(CASE root ${cases} ELSE path END)`;
  }

  /** An SQL predicate for rows under the given source roots (absolute paths). */
  sourceIn(sources: readonly string[]): string {
    const ids = sources.map((source) => this.#byPath.get(source)?.id).filter((id): id is string => id !== undefined);
    return ids.length > 0 ? `root IN (${ids.map(sqlString).join(", ")})` : "false";
  }
}
