import ignore, { type Ignore } from "ignore";

/** One ignore file's rules, anchored at the directory that holds it. */
interface IgnoreLayer {
  /** Directory of the ignore file relative to the walk root ("" for the root and above it). */
  dir: string;
  /** Path from the ignore file's directory down to the walk root, for files above the root. */
  prefix: string;
  matcher: Ignore;
}

/**
 * The `.gitignore`/`.gemindexignore` rules in force in one directory: a layer per ignore file
 * from the outermost directory in. Immutable, so each directory of a depth-first walk extends
 * its parent's stack without affecting siblings.
 *
 * Git semantics: every layer sees paths relative to its own directory, a deeper file's rule
 * (including a `!negation`) overrides a shallower one, and within a file the last matching
 * rule wins.
 */
export class IgnoreStack {
  static readonly empty = new IgnoreStack([]);

  private constructor(private readonly layers: readonly IgnoreLayer[]) {}

  /**
   * Adds the rules of an ignore file found in `dir` (relative to the walk root, POSIX).
   * `prefix` is the path from that directory down to the root, used for ignore files in
   * directories above the root (e.g. the repository's top-level `.gitignore`).
   */
  with(dir: string, patterns: string, prefix = ""): IgnoreStack {
    const matcher = ignore().add(patterns);
    return new IgnoreStack([...this.layers, { dir, prefix, matcher }]);
  }

  /**
   * Whether `relativePath` (POSIX, relative to the walk root) is ignored; directories need `isDirectory` for `dir/`
   * rules.
   */
  isIgnored(relativePath: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const layer of this.layers) {
      const inLayer = layer.dir === "" ? relativePath : relativePath.slice(layer.dir.length + 1);
      const joined = [layer.prefix, inLayer].filter((part) => part !== "").join("/");
      // `ignore` rejects "" (the walk root itself, seen from its own ignore file): never ignored.
      if (joined === "") continue;
      const result = layer.matcher.test(isDirectory ? `${joined}/` : joined);
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    return ignored;
  }
}
