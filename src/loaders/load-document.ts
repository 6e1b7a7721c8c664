import { LoadError } from "../errors.js";
import { hashBytes } from "../sources/fingerprint.js";
import type { SourceFile } from "../sources/types.js";
import { classifyZip } from "./detect/classify-zip.js";
import { extensionOf, type FileType, fileTypeFor } from "./detect/file-types.js";
import { detectMediaType } from "./detect/media-type.js";
import { findPdfHeader, looksLikeHtml, sniff, type TextSniff } from "./detect/sniff.js";
import { loadHtml } from "./html/load-html.js";
import { loadMarkdown } from "./markdown/load-markdown.js";
import { loadMedia } from "./media/load-media.js";
import { loadDocx } from "./office/load-docx.js";
import { loadXlsx } from "./office/load-xlsx.js";
import { readZipDirectory, type ZipEntry, ZipFormatError } from "./office/read-zip-directory.js";
import { loadPdf } from "./pdf/load-pdf.js";
import { checkedBytes, readFileBytes, type SizeLimit } from "./read-file-bytes.js";
import { dataLikeReason } from "./text/data-like-text.js";
import { decodeSniffedText } from "./text/decode-text.js";
import { loadCode } from "./text/load-code.js";
import { loadText } from "./text/load-text.js";
import { loadStreamedText } from "./text/stream-text.js";
import type { LoadedContent, LoadedDocument, LoadOptions } from "./types.js";
import { converted, incomplete } from "./warnings.js";

const MIB = 1024 * 1024;
/** Default of `LoadOptions.maxBytes`. */
export const DEFAULT_MAX_BYTES = 50 * MIB;
/** Default of `LoadOptions.maxImageBytes`: the largest inline data a Gemini request takes. */
export const DEFAULT_MAX_IMAGE_BYTES = 20 * MIB;
/** Default of `LoadOptions.maxAudioBytes`: the largest inline data a Gemini request takes. */
export const DEFAULT_MAX_AUDIO_BYTES = 20 * MIB;

/**
 * Reads and parses one discovered file into text sections for chunking, or media bytes for a
 * model.
 *
 * The content decides, the name only where content cannot: bytes starting with `%PDF-` load as
 * a PDF, PNG/JPEG/GIF/WebP/BMP/TIFF/HEIC/AVIF magic as an image (GIF, BMP, TIFF and AVIF
 * converted to PNG, which Gemini reads) and WAV/MP3 as audio (`media`, no sections), and a
 * ZIP as a Word document or Excel workbook when its entries say so — whatever the file is
 * called. Text loads by extension: Markdown, code, HTML, plain text; a file of unknown type
 * that starts like an HTML page loads as HTML, any other as text. A file named like an image,
 * audio or Office file that holds text loads as text with a warning. Text is decoded from
 * UTF-8 (BOM skipped), UTF-16 LE/BE (with a BOM, or recognised without one), or — for invalid
 * UTF-8 that still looks like text — windows-1252 with a warning; line ends become `\n`. An
 * empty or whitespace-only text file is a document with no sections.
 *
 * Size: files above `maxBytes` are skipped, except PDFs, which are read page by page and stay
 * cheap whatever their size; images above `maxImageBytes` and audio above `maxAudioBytes` too.
 * Plain text, code and Markdown above `streamTextAbove` come with a `stream` of sections instead
 * (see loadStreamedText), so their memory does not grow with their size.
 *
 * @throws LoadError for a file that cannot be indexed, with a reason for the run report:
 * "file not found", "permission denied", "larger than the 50 MiB limit (…)", "image larger
 * than the 20 MiB limit (…)", "binary file (…)", "unsupported file type (.svg)", "unsupported
 * archive (ZIP)", "not a valid Word document (…)", "not a valid Excel workbook (…)", "not valid
 * UTF-8 and not recognisable as windows-1252 text", "empty PDF", "not a valid PDF (…)",
 * "encrypted PDF (password required)", "PDF has no extractable text (scanned?)…". An abort
 * rejects with `signal.reason`, unwrapped.
 * @example
 * const document = await loadDocument(file, { signal });
 * for (const section of document.sections) console.log(section.page ?? section.startLine, section.text.length);
 */
export async function loadDocument(file: SourceFile, options: LoadOptions = {}): Promise<LoadedDocument> {
  const type = fileTypeFor(file.path);
  if (type.kind === "unsupported") throw new LoadError(file.path, `unsupported file type (.${extensionOf(file.path)})`);

  const limitFor = (head: Uint8Array) => sizeLimit(head, type, options);
  // Bytes read ahead (a small file) are loaded whole; a big text file may stream.
  const streamed = options.bytes ? undefined : await loadStreamedText(file, type, { ...options, limit: limitFor });
  if (streamed) return streamed;
  const bytes = options.bytes
    ? checkedBytes(file.path, options.bytes, limitFor)
    : await readFileBytes(file.path, limitFor, options.signal);
  const hash = hashBytes(bytes);
  const content = await loadContent(file.path, bytes, type, options);
  // Encoded data is recorded as a document without text, so later runs skip it by its stat.
  const dataLike = dataLikeReason(content.sections);
  if (dataLike)
    return { file, hash, ...content, sections: [], warnings: [...(content.warnings ?? []), incomplete(dataLike)] };
  return { file, hash, ...content };
}

function sizeLimit(head: Uint8Array, type: FileType, options: LoadOptions): SizeLimit | undefined {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // PDFs are read one page at a time, so memory stays near the file's size: no limit.
  const pdfHeader = findPdfHeader(head);
  if (pdfHeader === 0 || (type.kind === "pdf" && pdfHeader > 0)) return undefined;
  const media = detectMediaType(head);
  if (media?.kind === "image")
    return { maxBytes: Math.min(maxBytes, options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES), subject: "image" };
  if (media?.kind === "audio")
    return { maxBytes: Math.min(maxBytes, options.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES), subject: "audio" };
  return { maxBytes };
}

async function loadContent(
  path: string,
  bytes: Uint8Array,
  type: FileType,
  options: LoadOptions,
): Promise<LoadedContent> {
  const { signal } = options;
  const pdf = { signal, readScannedPage: options.readScannedPage };
  // A PDF reader accepts a header up to 1 KiB in; sniffing only takes one at the very start.
  if (type.kind === "pdf" && findPdfHeader(bytes) >= 0) return loadPdf(path, bytes, pdf);
  const sniffed = sniff(bytes);
  switch (sniffed.type) {
    case "pdf":
      return loadPdf(path, bytes, pdf);
    case "media":
      return loadMedia(path, sniffed.media, bytes);
    case "zip":
      return loadZip(path, bytes, type);
    case "ole":
      throw new LoadError(path, oleReason(type));
    case "binary":
      if (type.kind === "pdf") return loadPdf(path, bytes, pdf);
      throw new LoadError(path, binaryReason(type, sniffed.evidence));
    case "text":
      if (type.kind === "pdf") return loadPdf(path, bytes, pdf);
      return loadTextFile(path, bytes, sniffed, type, signal);
  }
}

async function loadTextFile(
  path: string,
  bytes: Uint8Array,
  sniffed: TextSniff,
  type: FileType,
  signal?: AbortSignal,
): Promise<LoadedContent> {
  if (
    bytes.length === 0 &&
    (type.kind === "image" || type.kind === "audio" || type.kind === "docx" || type.kind === "xlsx")
  ) {
    throw new LoadError(path, "empty file");
  }
  const file = decodeSniffedText(path, bytes, sniffed);
  switch (type.kind) {
    case "markdown":
      return loadMarkdown(path, file, signal);
    case "code":
      return loadCode(file, type.language);
    case "html":
      return loadHtml(path, file, signal);
    case "sniff":
      return looksLikeHtml(file.text) ? loadHtml(path, file, signal) : loadText(file);
    case "image":
    case "audio":
    case "docx":
    case "xlsx":
      // Content wins over the name: a ".png" that holds text is text.
      return loadText({
        text: file.text,
        warnings: [converted(`named .${extensionOf(path)} but holds text`), ...(file.warnings ?? [])],
      });
    default:
      return loadText(file);
  }
}

async function loadZip(path: string, bytes: Uint8Array, type: FileType): Promise<LoadedContent> {
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes);
  } catch (error) {
    if (!(error instanceof ZipFormatError)) throw error;
    const label =
      type.kind === "docx"
        ? "not a valid Word document"
        : type.kind === "xlsx"
          ? "not a valid Excel workbook"
          : "damaged ZIP archive";
    throw new LoadError(path, `${label} (${error.message})`, { cause: error });
  }
  const zip = classifyZip(entries);
  if (zip.kind === "docx") return loadDocx(path, bytes, entries);
  if (zip.kind === "xlsx") return loadXlsx(path, bytes, entries);
  if (type.kind === "docx")
    throw new LoadError(path, `not a valid Word document (${zip.label} without word/document.xml)`);
  if (type.kind === "xlsx")
    throw new LoadError(path, `not a valid Excel workbook (${zip.label} without xl/workbook.xml)`);
  throw new LoadError(path, `unsupported archive (${zip.label})`);
}

function oleReason(type: FileType): string {
  if (type.kind === "docx")
    return (
      "encrypted or legacy-format Word document (an OLE compound file, not Office Open XML): save it as .docx " +
      "without a password"
    );
  if (type.kind === "xlsx")
    return (
      "encrypted or legacy-format Excel workbook (an OLE compound file, not Office Open XML): save it as " +
      ".xlsx without a password"
    );
  return "unsupported file type (OLE compound file, such as a legacy .doc or .xls)";
}

function binaryReason(type: FileType, evidence: string): string {
  switch (type.kind) {
    case "image":
      return (
        `not a PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF image (binary content without their signature: ` +
        `${evidence})`
      );
    case "audio":
      return `not a WAV or MP3 file (binary content without their signature: ${evidence})`;
    case "docx":
      return "not a valid Word document (not a ZIP archive)";
    case "xlsx":
      return "not a valid Excel workbook (not a ZIP archive)";
    default:
      return `binary file (${evidence})`;
  }
}
