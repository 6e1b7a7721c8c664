import { decodeSniffedText } from "./decode-text.js";
import { frontMatterTitle, splitFrontMatter } from "./front-matter.js";
import type { LoadedContent } from "./loaded-content.js";
import { parseMarkdown } from "./parse-markdown.js";
import type { TextSniff } from "./sniff.js";
import { textSections } from "./text-sections.js";

/**
 * Loads Markdown (`.md`, `.markdown`, `.mdx`): front matter is dropped from the indexed text
 * (the section then starts at the line after it, so line numbers still match the file), and
 * the title is the first level-1 heading outside code fences, else the front matter `title`.
 *
 * @throws LoadError when the bytes cannot be decoded as text.
 */
export function loadMarkdown(path: string, bytes: Uint8Array, sniffed: TextSniff): LoadedContent {
  const { text, warnings } = decodeSniffedText(path, bytes, sniffed);
  const { body, bodyStartLine, frontMatter } = splitFrontMatter(text);
  const heading = parseMarkdown(body.split("\n")).find((block) => block.type === "heading" && block.level === 1 && block.text !== "");
  const title = heading?.type === "heading" ? heading.text : frontMatter === undefined ? undefined : frontMatterTitle(frontMatter);
  return {
    kind: "markdown",
    ...(title === undefined ? {} : { title }),
    sections: textSections(body, bodyStartLine),
    ...(warnings ? { warnings } : {}),
  };
}
