import type { MarkdownBlock } from "../loaders/markdown/parse-markdown.js";

/** A heading and the blocks up to the next heading of any level. */
export interface MarkdownSection {
  /** Heading level 1–6; 0 for the text before the first heading. */
  level: number;
  /** Heading texts from the outermost in, ending with this section's own (empty headings left out). */
  path: string[];
  /** The path of the enclosing section: `path` without this section's own heading. */
  parentPath: string[];
  /**
   * 0-based line range of the heading (two lines for a setext heading); absent for the text before the first heading.
   */
  heading?: { start: number; end: number };
  /** Content blocks, in order. */
  blocks: MarkdownBlock[];
}

/**
 * Groups parsed blocks into sections, one per heading, each with its heading path: the
 * nearest preceding heading of every higher level. A skipped level (`#` then `###`) simply
 * leaves it out of the path.
 */
export function markdownSections(blocks: readonly MarkdownBlock[]): MarkdownSection[] {
  const sections: MarkdownSection[] = [{ level: 0, path: [], parentPath: [], blocks: [] }];
  const open: Array<{ level: number; text: string }> = [];
  for (const block of blocks) {
    if (block.type !== "heading") {
      sections[sections.length - 1]!.blocks.push(block);
      continue;
    }
    while (open.length > 0 && open[open.length - 1]!.level >= block.level) open.pop();
    const parentPath = open.map((heading) => heading.text).filter((text) => text !== "");
    open.push({ level: block.level, text: block.text });
    sections.push({
      level: block.level,
      path: block.text === "" ? parentPath : [...parentPath, block.text],
      parentPath,
      heading: { start: block.start, end: block.end },
      blocks: [],
    });
  }
  return sections;
}
