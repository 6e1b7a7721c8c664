import { LoadError } from "../errors.js";
import { installArrayBufferTransfer } from "./install-array-buffer-transfer.js";
import type { LoadedContent } from "./loaded-content.js";
import { findPdfHeader } from "./sniff.js";
import type { DocumentSection } from "./types.js";

/**
 * pdf.js keeps per-page state (parsed content, fonts) on the document until it is cleaned up:
 * without a cleanup every so often, memory grows with the page count (2000 text pages held
 * ~150 MB of heap; with cleanups every 25 pages, ~30 MB, and the run was faster).
 */
const CLEANUP_EVERY_PAGES = 25;

/**
 * Loads a PDF page by page with unpdf (pdf.js): one section per page with text, numbered from
 * 1, so every chunk can cite its exact page; pages without text are left out, and a page that
 * cannot be read becomes a warning. The title comes from the document information dictionary
 * or XMP `dc:title` when present.
 *
 * Memory stays near the file's size plus one page, whatever the page count: one page is
 * extracted at a time and released (`page.cleanup()`, a document cleanup every
 * {@link CLEANUP_EVERY_PAGES} pages, `destroy()` at the end), and `bytes` is handed to pdf.js
 * without a copy when it is the only view of its buffer — pdf.js then detaches it, so the
 * caller must not use `bytes` afterwards.
 *
 * @throws LoadError with reason "empty PDF", "not a valid PDF (…)", "encrypted PDF (password
 * required)", "PDF has no extractable text (scanned?)" or "could not read PDF (…)".
 */
export async function loadPdf(path: string, bytes: Uint8Array, signal?: AbortSignal): Promise<LoadedContent> {
  if (bytes.length === 0) throw new LoadError(path, "empty PDF");
  if (findPdfHeader(bytes) < 0) throw new LoadError(path, "not a valid PDF (no %PDF- header)");

  installArrayBufferTransfer();
  // Imported on first use: pdf.js is large, and most runs index no PDF at all.
  const { getDocumentProxy } = await import("unpdf");
  signal?.throwIfAborted();

  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js detaches the buffer it is given: a view into a larger (shared) buffer is copied.
    // It takes a plain Uint8Array, not a Buffer. verbosity 0 keeps pdf.js from printing
    // "Warning:" lines for recoverable damage.
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const data = whole ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : new Uint8Array(bytes);
    document = await getDocumentProxy(data, { verbosity: 0 });
  } catch (error) {
    throw new LoadError(path, openFailureReason(error), { cause: error });
  }

  try {
    const sections: DocumentSection[] = [];
    const warnings: string[] = [];
    let firstFailure: unknown;
    for (let page = 1; page <= document.numPages; page++) {
      signal?.throwIfAborted();
      let text: string;
      try {
        text = await pageText(document, page);
      } catch (error) {
        // One damaged page costs that page, not the rest of the document.
        firstFailure ??= error;
        warnings.push(`page ${page} could not be read (${messageOf(error)})`);
        continue;
      }
      if (text.trim() !== "") sections.push({ text, page });
      if (page % CLEANUP_EVERY_PAGES === 0) await document.cleanup();
    }
    if (sections.length === 0 && firstFailure !== undefined) {
      throw new LoadError(path, `could not read PDF (${messageOf(firstFailure)})`, { cause: firstFailure });
    }
    if (sections.length === 0) {
      throw new LoadError(
        path,
        `PDF has no extractable text (scanned?): ${document.numPages} page${document.numPages === 1 ? "" : "s"} without a text layer`,
      );
    }
    const title = await pdfTitle(document);
    return {
      kind: "pdf",
      ...(title === undefined ? {} : { title }),
      sections,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    await document.destroy();
  }
}

type PdfDocument = Awaited<ReturnType<typeof import("unpdf")["getDocumentProxy"]>>;

async function pageText(document: PdfDocument, pageNumber: number): Promise<string> {
  const page = await document.getPage(pageNumber);
  try {
    const content = await page.getTextContent();
    let text = "";
    for (const item of content.items) {
      // Marked-content items carry structure, not text.
      if ("str" in item) text += item.str + (item.hasEOL ? "\n" : "");
    }
    return text
      .replace(/\r\n?/g, "\n")
      .replace(/[ \t]+\n/g, "\n")
      .trim();
  } finally {
    page.cleanup();
  }
}

async function pdfTitle(document: PdfDocument): Promise<string | undefined> {
  try {
    const { info, metadata } = await document.getMetadata();
    const fromInfo = (info as { Title?: unknown } | undefined)?.Title;
    const candidate = typeof fromInfo === "string" && fromInfo.trim() !== "" ? fromInfo : metadata?.get("dc:title");
    return typeof candidate === "string" && candidate.trim() !== "" ? candidate.trim() : undefined;
  } catch {
    // A broken metadata stream costs the title, not the document's text.
    return undefined;
  }
}

function openFailureReason(error: unknown): string {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === "PasswordException") return "encrypted PDF (password required)";
  if (name === "InvalidPDFException") return `not a valid PDF (${messageOf(error)})`;
  return `could not read PDF (${messageOf(error)})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
