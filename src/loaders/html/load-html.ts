import { LoadError } from "../../errors.js";
import { resolveImageLinks } from "../media/resolve-image-links.js";
import type { FileText } from "../text/decode-text.js";
import type { LoadedContent } from "../types.js";
import { HtmlTooDeepError, htmlToMarkdown } from "./html-to-markdown.js";

/**
 * Loads an HTML page (`.html`, `.htm`, `.xhtml`, or a file of unknown type that starts like
 * HTML) as the Markdown-like text of its main content (see `htmlToMarkdown`), so the Markdown
 * chunker gives heading paths, whole code blocks and tables that repeat their header. The
 * section has no `startLine`: lines of the converted text are not lines of the file, so
 * chunks cite the heading path instead. The title is `<title>`, else the first `<h1>`;
 * `<img>`s in the content that are local image files become `images`, with the line of the
 * tag in the file.
 *
 * @throws LoadError when the page nests elements more than 1000 levels deep, or cannot be decoded.
 */
export async function loadHtml(path: string, file: FileText, signal?: AbortSignal): Promise<LoadedContent> {
  let conversion: ReturnType<typeof htmlToMarkdown>;
  try {
    conversion = htmlToMarkdown(file.text);
  } catch (error) {
    if (error instanceof HtmlTooDeepError)
      throw new LoadError(path, `too deeply nested to convert (${error.message})`, { cause: error });
    throw error;
  }
  const links = conversion.images.map((image) => ({
    target: image.src,
    alt: image.alt,
    headings: image.headings,
    line: image.line,
  }));
  const { images, warnings: linkWarnings } = await resolveImageLinks(path, links, signal);
  const warnings = [...(file.warnings ?? []), ...linkWarnings];
  return {
    kind: "html",
    ...(conversion.title === undefined ? {} : { title: conversion.title }),
    sections: conversion.markdown.trim() === "" ? [] : [{ text: conversion.markdown }],
    ...(images.length > 0 ? { images } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
