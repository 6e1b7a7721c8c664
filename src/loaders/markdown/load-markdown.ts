import { resolveImageLinks } from "../media/resolve-image-links.js";
import type { FileText } from "../text/decode-text.js";
import { textSections } from "../text/load-text.js";
import type { LoadedContent } from "../types.js";
import { frontMatterTitle, splitFrontMatter } from "./front-matter.js";
import { findMarkdownImageLinks } from "./markdown-image-links.js";
import { parseMarkdown } from "./parse-markdown.js";

/**
 * Loads Markdown (`.md`, `.markdown`, `.mdx`): front matter is dropped from the indexed text
 * (the section then starts at the line after it, so line numbers still match the file), and
 * the title is the first level-1 heading outside code fences, else the front matter `title`.
 * Images the text links to (`![alt](path)`, reference links, `<img src>`) that are local
 * PNG, JPEG, GIF or WebP files become `images`, with the heading path and line of the link;
 * a link to a missing file is a warning.
 */
export async function loadMarkdown(path: string, file: FileText, signal?: AbortSignal): Promise<LoadedContent> {
  const { body, bodyStartLine, frontMatter } = splitFrontMatter(file.text);
  const lines = body.split("\n");
  const heading = parseMarkdown(lines).find(
    (block) => block.type === "heading" && block.level === 1 && block.text !== "",
  );
  const title =
    heading?.type === "heading" ? heading.text : frontMatter === undefined ? undefined : frontMatterTitle(frontMatter);
  const { images, warnings: linkWarnings } = await resolveImageLinks(
    path,
    findMarkdownImageLinks(lines, bodyStartLine),
    signal,
  );
  const warnings = [...(file.warnings ?? []), ...linkWarnings];
  return {
    kind: "markdown",
    ...(title === undefined ? {} : { title }),
    sections: textSections(body, bodyStartLine),
    ...(images.length > 0 ? { images } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
