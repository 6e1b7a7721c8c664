import type { ImageLink } from "../media/resolve-image-links.js";
import { parseMarkdown } from "./parse-markdown.js";

/** `![alt](target "title")`; the target may be `<wrapped in angle brackets>`. */
const INLINE_IMAGE = /!\[((?:\\.|[^\\\]])*)\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
/** `![alt][label]`, `![alt][]`, or `![alt]` alone (resolved only when a definition exists). */
const REFERENCE_IMAGE = /!\[((?:\\.|[^\\\]])*)\](?:\[((?:\\.|[^\\\]])*)\])?(?![(:])/g;
/** `[label]: target` at the start of a line. */
const DEFINITION = /^ {0,3}\[((?:\\.|[^\\\]])+)\]:\s*(<[^>\n]*>|\S+)/;
/** `<img … src="…">` written as HTML inside Markdown. */
const HTML_IMAGE = /<img\b[^>]*>/gi;
const INLINE_CODE = /(`+)(?:(?!\1)[\s\S])*?\1/g;

/**
 * Finds the image links of a Markdown text: inline `![alt](path)`, reference-style
 * `![alt][label]` with its `[label]: path` definition, and HTML `<img src alt>`; never inside
 * code fences or inline code. Each link carries the heading path it sits under (as the
 * chunker computes it, empty headings left out) and its line, `firstLine` being the file line
 * of `lines[0]`.
 */
export function findMarkdownImageLinks(lines: readonly string[], firstLine: number): ImageLink[] {
  const blocks = parseMarkdown(lines);
  const definitions = new Map<string, string>();
  for (const block of blocks) {
    if (block.type !== "paragraph") continue;
    for (let index = block.start; index <= block.end; index++) {
      const definition = DEFINITION.exec(lines[index]!);
      if (definition) definitions.set(normalizeLabel(definition[1]!), definition[2]!);
    }
  }

  const links: ImageLink[] = [];
  const open: Array<{ level: number; text: string }> = [];
  for (const block of blocks) {
    if (block.type === "heading") {
      while (open.length > 0 && open[open.length - 1]!.level >= block.level) open.pop();
      open.push({ level: block.level, text: block.text });
      continue;
    }
    if (block.type === "fence") continue;
    const headings = open.map((heading) => heading.text).filter((text) => text !== "");
    for (let index = block.start; index <= block.end; index++) {
      const line = lines[index]!;
      if (!line.includes("!") && !/<img/i.test(line)) continue;
      if (DEFINITION.test(line)) continue;
      // Blank out code spans (same length) so nothing inside them is taken for a link.
      const text = line.replace(INLINE_CODE, (code) => " ".repeat(code.length));
      const found: Array<{ at: number; target: string; alt: string }> = [];
      for (const match of text.matchAll(INLINE_IMAGE))
        found.push({ at: match.index, target: match[2]!, alt: unescapeMarkdown(match[1]!) });
      for (const match of text.matchAll(REFERENCE_IMAGE)) {
        const label = normalizeLabel(match[2] === undefined || match[2] === "" ? match[1]! : match[2]);
        const target = definitions.get(label);
        if (target !== undefined) found.push({ at: match.index, target, alt: unescapeMarkdown(match[1]!) });
      }
      for (const match of text.matchAll(HTML_IMAGE)) {
        const target = htmlAttribute(match[0], "src");
        if (target) found.push({ at: match.index, target, alt: htmlAttribute(match[0], "alt") ?? "" });
      }
      found.sort((a, b) => a.at - b.at);
      for (const link of found)
        links.push({ target: link.target, alt: link.alt.trim(), headings, line: firstLine + index });
    }
  }
  return links;
}

function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, " ").toLowerCase();
}

function unescapeMarkdown(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function htmlAttribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}
