import { LoadError } from "../../errors.js";
import { findPdfHeader } from "../detect/sniff.js";
import type { DocumentSection, LoadedContent, LoadOptions, MediaContent } from "../types.js";
import { incomplete, type LoadWarning } from "../warnings.js";

/**
 * pdf.js keeps per-page state (parsed content, fonts) on the document until it is cleaned up:
 * without a cleanup every so often, memory grows with the page count (2000 text pages held
 * ~150 MB of heap; with cleanups every 25 pages, ~30 MB, and the run was faster).
 */
const CLEANUP_EVERY_PAGES = 25;

/** Scans are rendered at twice the PDF's 72 dpi (144 dpi): enough for a model to read body text. */
const SCAN_RENDER_SCALE = 2;

/** A PDF whose pages have no text layer (a scan) and nothing was given to read them: skipped, not failed. */
export class ScannedPdfError extends LoadError {}

export interface PdfLoadOptions {
  signal?: AbortSignal;
  /** See `LoadOptions.readScannedPage`. */
  readScannedPage?: LoadOptions["readScannedPage"];
}

/**
 * Loads a PDF page by page with unpdf (pdf.js): one section per page with text, numbered from
 * 1, so every chunk can cite its exact page; a page that cannot be read becomes a warning. A
 * page without a text layer that shows an image (a scan) is rendered to PNG (@napi-rs/canvas)
 * and handed to `readScannedPage` when given; without it, it is left out with a warning. Blank
 * and drawing-only pages are left out. The title comes from the document information
 * dictionary or XMP `dc:title` when present.
 *
 * Memory stays near the file's size plus one page, whatever the page count: one page is
 * extracted at a time and released (`page.cleanup()`, a document cleanup every
 * {@link CLEANUP_EVERY_PAGES} pages, `destroy()` at the end), and `bytes` is handed to pdf.js
 * without a copy when it is the only view of its buffer — pdf.js then detaches it, so the
 * caller must not use `bytes` afterwards.
 *
 * @throws LoadError with reason "empty PDF", "not a valid PDF (…)", "encrypted PDF (password
 * required)", "PDF has no extractable text…" or "could not read PDF (…)"; ScannedPdfError when
 * every page is a scan and nothing reads scans.
 */
export async function loadPdf(path: string, bytes: Uint8Array, options: PdfLoadOptions = {}): Promise<LoadedContent> {
  const { signal, readScannedPage } = options;
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
    // Rendering scans needs a canvas in pdf.js as well (image masks, patterns).
    const canvas = readScannedPage ? { CanvasFactory: await canvasFactory() } : {};
    document = await getDocumentProxy(data, { verbosity: 0, ...canvas } as Parameters<typeof getDocumentProxy>[1]);
  } catch (error) {
    throw new LoadError(path, openFailureReason(error), { cause: error });
  }

  try {
    const sections: DocumentSection[] = [];
    // Pages that could not be read are not in the index.
    const warnings: LoadWarning[] = [];
    const unread: number[] = [];
    let firstFailure: unknown;
    for (let page = 1; page <= document.numPages; page++) {
      signal?.throwIfAborted();
      let text: string;
      let scanned = false;
      try {
        text = await pageText(document, page);
        scanned = text === "" && (await showsImage(document, page));
      } catch (error) {
        // One damaged page costs that page, not the rest of the document.
        firstFailure ??= error;
        warnings.push(incomplete(`page ${page} could not be read (${messageOf(error)})`));
        continue;
      }
      if (scanned && readScannedPage) {
        const read = await readScan(document, page, readScannedPage);
        if (read.text) text = read.text;
        if (read.warning) warnings.push(incomplete(read.warning));
      } else if (scanned) unread.push(page);
      if (text.trim() !== "") sections.push({ text, page });
      if (page % CLEANUP_EVERY_PAGES === 0) await document.cleanup();
    }
    if (sections.length === 0) throw noTextError(path, document.numPages, unread, firstFailure, warnings);
    if (unread.length > 0)
      warnings.push(
        incomplete(
          `${pageList(unread)} without a text layer (scanned) left out: with GEMINI_API_KEY a Gemini model reads them`,
        ),
      );
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

async function canvasFactory(): Promise<unknown> {
  const { createIsomorphicCanvasFactory } = await import("unpdf");
  return createIsomorphicCanvasFactory(() => import("@napi-rs/canvas"));
}

/** Why a PDF with no section at all cannot be indexed. */
function noTextError(
  path: string,
  pages: number,
  unread: number[],
  failure: unknown,
  warnings: LoadWarning[],
): LoadError {
  if (failure !== undefined)
    return new LoadError(path, `could not read PDF (${messageOf(failure)})`, { cause: failure });
  if (unread.length > 0)
    return new ScannedPdfError(
      path,
      "scanned PDF without a text layer: needs GEMINI_API_KEY (a Gemini model reads the pages)",
    );
  // Scans were given to the model, and none came back readable.
  if (warnings.length > 0)
    return new LoadError(path, `no page could be read: ${warnings.map((warning) => warning.message).join("; ")}`);
  return new LoadError(
    path,
    `PDF has no extractable text: ${pages} page${pages === 1 ? "" : "s"} without a text layer or a scanned image`,
  );
}

/** "page 3" / "pages 2, 5, 9" */
function pageList(pages: number[]): string {
  return pages.length === 1 ? `page ${pages[0]}` : `pages ${pages.join(", ")}`;
}

/** Image painting operators: a page that paints one and has no text is a scan (or a photo). */
const IMAGE_OPERATORS = [
  "paintImageXObject",
  "paintInlineImageXObject",
  "paintImageMaskXObject",
  "paintInlineImageXObjectGroup",
  "paintImageXObjectRepeat",
  "paintImageMaskXObjectRepeat",
];

async function showsImage(document: PdfDocument, pageNumber: number): Promise<boolean> {
  const { getResolvedPDFJS } = await import("unpdf");
  const { OPS } = (await getResolvedPDFJS()) as unknown as { OPS: Record<string, number> };
  const wanted = new Set(IMAGE_OPERATORS.map((name) => OPS[name]));
  const page = await document.getPage(pageNumber);
  try {
    const { fnArray } = await page.getOperatorList();
    return fnArray.some((operator) => wanted.has(operator));
  } finally {
    page.cleanup();
  }
}

/** Renders a scanned page and has it read; a LoadError from the reader leaves the page out with a warning. */
async function readScan(
  document: PdfDocument,
  page: number,
  read: (image: MediaContent, page: number) => Promise<string>,
): Promise<{ text?: string; warning?: string }> {
  let png: Uint8Array;
  try {
    const { renderPageAsImage } = await import("unpdf");
    const rendered = await renderPageAsImage(document, page, {
      canvasImport: () => import("@napi-rs/canvas"),
      scale: SCAN_RENDER_SCALE,
    });
    png = new Uint8Array(rendered);
  } catch (error) {
    return { warning: `page ${page} is a scan that could not be rendered (${messageOf(error)})` };
  }
  try {
    return { text: (await read({ mimeType: "image/png", data: png }, page)).trim() };
  } catch (error) {
    if (error instanceof LoadError) return { warning: `page ${page} (scanned): ${error.reason}` };
    throw error;
  }
}

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

/**
 * Adds `ArrayBuffer.prototype.transferToFixedLength` (and `transfer`) where missing (Node 20).
 * The pdf.js bundled in unpdf calls it when moving image and font data; without it Node 20
 * only logs a warning, then silently loses embedded images and renders blank pages. The copy
 * below leaves the source buffer intact instead of detaching it, which callers cannot tell
 * apart for these uses. Idempotent; a no-op on Node 21+.
 */
export function installArrayBufferTransfer(): void {
  const prototype = ArrayBuffer.prototype as ArrayBuffer & { transferToFixedLength?: unknown; transfer?: unknown };
  if (typeof prototype.transferToFixedLength === "function") return;
  const transfer = function (this: ArrayBuffer, newLength?: number): ArrayBuffer {
    const length = newLength ?? this.byteLength;
    const copy = new ArrayBuffer(length);
    new Uint8Array(copy).set(new Uint8Array(this, 0, Math.min(length, this.byteLength)));
    return copy;
  };
  Object.defineProperty(prototype, "transferToFixedLength", { value: transfer, configurable: true, writable: true });
  if (typeof prototype.transfer !== "function") {
    Object.defineProperty(prototype, "transfer", { value: transfer, configurable: true, writable: true });
  }
}
