import { LoadError } from "../../errors.js";
import { htmlToMarkdown } from "../html/html-to-markdown.js";
import type { LoadedContent } from "../types.js";
import { converted } from "../warnings.js";
import { checkUnpackedSize, officeTitle, summarizeError } from "./office-package.js";
import type { ZipEntry } from "./read-zip-directory.js";

/**
 * Word styles mapped beyond mammoth's defaults (which already turn "Heading 1"… into `<h1>`…):
 * a document's "Title" paragraph is its top heading.
 */
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh"];
/** Mammoth notes that only say a style had no mapping: the text is kept as a paragraph, nothing a user must fix. */
const STYLE_NOTE = /^Unrecognised (?:paragraph|run|table|numbering) style/i;
const MAX_WARNINGS = 5;

/**
 * Loads a Word document (`.docx`, or any file whose ZIP entries say it is one) with mammoth:
 * Word → HTML → the same Markdown-like text as an HTML page, so Word headings become heading
 * paths, lists stay lists, and tables become pipe tables. Embedded images are left out (only
 * their alt text stays). One section without `startLine` (a Word file has no lines). The
 * title is the document property `dc:title`, else the first level-1 heading. Conversion notes
 * from mammoth other than unmapped styles become warnings.
 *
 * @throws LoadError "not a valid Word document (…)" for a damaged package, or when it unpacks
 * to more than 256 MiB.
 */
export async function loadDocx(path: string, bytes: Uint8Array, entries: readonly ZipEntry[]): Promise<LoadedContent> {
  checkUnpackedSize(path, entries, "Word document");
  // Imported on first use: most runs index no Word file.
  const { default: mammoth } = await import("mammoth");
  let result: Awaited<ReturnType<typeof mammoth.convertToHtml>>;
  try {
    result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        styleMap: STYLE_MAP,
        convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
        externalFileAccess: false,
      },
    );
  } catch (error) {
    throw new LoadError(path, `not a valid Word document (${summarizeError(error)})`, { cause: error });
  }
  const conversion = htmlToMarkdown(result.value);
  const title = officeTitle(bytes, entries) ?? conversion.title;
  const notes = result.messages
    .filter((message) => !STYLE_NOTE.test(message.message))
    .map((message) => `Word conversion: ${message.message}`);
  const warnings = (
    notes.length > MAX_WARNINGS
      ? [...notes.slice(0, MAX_WARNINGS), `${notes.length - MAX_WARNINGS} more Word conversion notes`]
      : notes
  ).map(converted);
  return {
    kind: "docx",
    ...(title === undefined ? {} : { title }),
    sections: conversion.markdown.trim() === "" ? [] : [{ text: conversion.markdown }],
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
