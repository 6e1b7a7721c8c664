import { LoadError } from "../errors.js";
import { hashBytes } from "../sources/fingerprint.js";
import type { SourceFile } from "../sources/types.js";
import { extensionOf, fileTypeFor } from "./file-types.js";
import { loadCode } from "./load-code.js";
import { loadMarkdown } from "./load-markdown.js";
import { loadPdf } from "./load-pdf.js";
import { loadText } from "./load-text.js";
import type { LoadedContent } from "./loaded-content.js";
import { readFileBytes } from "./read-file-bytes.js";
import { sniff } from "./sniff.js";
import type { LoadedDocument, LoadOptions } from "./types.js";

/** Default of `LoadOptions.maxBytes`. */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

/**
 * Reads and parses one discovered file into text sections for chunking.
 *
 * The loader is chosen by extension (`fileTypeFor`: Markdown, text, code, PDF), then by
 * content: a file whose bytes start with `%PDF-` loads as a PDF whatever its name, and a file
 * with an unknown extension or none loads as text when it sniffs as text. Text is decoded from
 * UTF-8 (BOM skipped), UTF-16 LE/BE (with a BOM, or recognised without one), or — for invalid
 * UTF-8 that still looks like text — windows-1252 with a warning; line ends become `\n`.
 * An empty or whitespace-only text file is a document with no sections.
 *
 * @throws LoadError for a file that cannot be indexed, with a reason for the run report:
 * "file not found", "permission denied", "larger than the 50 MiB limit (…)", "binary file (…)",
 * "unsupported file type (.html)", "empty PDF", "not a valid PDF (…)", "encrypted PDF
 * (password required)", "PDF has no extractable text (scanned?)…". An abort rejects with
 * `signal.reason`, unwrapped.
 * @example
 * const document = await loadDocument(file, { signal });
 * for (const section of document.sections) console.log(section.page ?? section.startLine, section.text.length);
 */
export async function loadDocument(file: SourceFile, options: LoadOptions = {}): Promise<LoadedDocument> {
  const type = fileTypeFor(file.path);
  if (type.kind === "unsupported") throw new LoadError(file.path, `unsupported file type (.${extensionOf(file.path)})`);

  const bytes = await readFileBytes(file.path, options.maxBytes ?? DEFAULT_MAX_BYTES, options.signal);
  const hash = hashBytes(bytes);
  const content = await loadContent(file.path, bytes, type, options.signal);
  return { file, hash, ...content };
}

async function loadContent(path: string, bytes: Uint8Array, type: ReturnType<typeof fileTypeFor>, signal?: AbortSignal): Promise<LoadedContent> {
  if (type.kind === "pdf") return loadPdf(path, bytes, signal);
  const sniffed = sniff(bytes);
  if (sniffed.type === "pdf") return loadPdf(path, bytes, signal);
  if (sniffed.type === "binary") throw new LoadError(path, `binary file (${sniffed.evidence})`);
  switch (type.kind) {
    case "markdown":
      return loadMarkdown(path, bytes, sniffed);
    case "code":
      return loadCode(path, bytes, sniffed, type.language);
    default:
      return loadText(path, bytes, sniffed);
  }
}
