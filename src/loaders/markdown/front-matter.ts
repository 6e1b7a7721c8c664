/** A Markdown file split into its front matter and body. */
export interface FrontMatterSplit {
  /** The front matter lines without their fences, when there is front matter. */
  frontMatter?: string;
  /** Everything after the closing fence (the whole text when there is no front matter). */
  body: string;
  /** 1-based line of the file on which `body` starts. */
  bodyStartLine: number;
}

/**
 * Splits off YAML (`---` … `---` or `...`) or TOML (`+++` … `+++`) front matter at the very
 * start of a Markdown text. Front matter is metadata for site generators, not prose: it is
 * kept out of the indexed text, and only its `title` is used (as a fallback title).
 * An opening fence without a closing one is ordinary content (a thematic break).
 */
export function splitFrontMatter(text: string): FrontMatterSplit {
  const firstLineEnd = text.indexOf("\n");
  const opening = (firstLineEnd < 0 ? text : text.slice(0, firstLineEnd)).trimEnd();
  if (opening !== "---" && opening !== "+++") return { body: text, bodyStartLine: 1 };
  const lines = text.split("\n");
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!.trimEnd();
    if (line === opening || (opening === "---" && line === "...")) {
      return {
        frontMatter: lines.slice(1, index).join("\n"),
        body: lines.slice(index + 1).join("\n"),
        bodyStartLine: index + 2,
      };
    }
  }
  return { body: text, bodyStartLine: 1 };
}

/** The `title` field of YAML or TOML front matter (`title: X`, `title = "X"`), unquoted. */
export function frontMatterTitle(frontMatter: string): string | undefined {
  const match = /^title\s*[:=]\s*(.+?)\s*$/m.exec(frontMatter);
  if (!match) return undefined;
  const value = match[1]!.replace(/^(["'])(.*)\1$/, "$2").trim();
  return value === "" ? undefined : value;
}
