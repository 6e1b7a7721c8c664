import type { SourceFile } from "../sources/types.js";
import type { LoadWarning } from "./warnings.js";

/** What kind of content a document holds; decides the chunker and how citations read. */
export type DocumentKind = "markdown" | "text" | "code" | "pdf" | "html" | "image" | "audio" | "docx" | "xlsx";

/**
 * A contiguous piece of a document's text: a PDF page, the whole of a text file, the converted
 * text of an HTML page or Word document, or one spreadsheet sheet.
 */
export interface DocumentSection {
  /** The text, with `\n` line ends. */
  text: string;
  /** 1-based page number (PDF). */
  page?: number;
  /**
   * 1-based line in the source file where `text` starts (text formats); for spreadsheets, the
   * row of the first line. Absent when lines of `text` are not lines of the file (PDF pages,
   * HTML and Word converted to Markdown): chunks then carry no line numbers.
   */
  startLine?: number;
  /**
   * Where the section sits when pages and lines do not say it: the sheet name of a spreadsheet
   * ("Budget"), the time range of a transcript ("00:01:30"). Shown in citations.
   */
  location?: string;
}

/** Binary content that a model describes (caption, transcript) or embeds directly. */
export interface MediaContent {
  /**
   * `image/png`, `image/jpeg`, `image/webp`, `image/heic`, `image/heif` (what Gemini reads), `audio/wav`, `audio/mpeg`.
   */
  mimeType: string;
  data: Uint8Array;
}

/** An image a text document links to (Markdown `![alt](path)`, HTML `<img src>`), resolved to a file that exists. */
export interface ImageReference {
  /** Absolute POSIX path of the image file. */
  path: string;
  alt: string;
  /** Heading path around the link. */
  headings: string[];
  /** 1-based line of the link in the document's file (for HTML, of the `<img>` tag). */
  line: number;
}

/** A parsed document: the output of the load stage, the input of chunking. */
export interface LoadedDocument {
  file: SourceFile;
  kind: DocumentKind;
  /** sha256 (hex) of the file's bytes. */
  hash: string;
  /** Programming language for `code` documents ("typescript", "python", ...). */
  language?: string;
  /** A title when the format has one (first Markdown H1, PDF metadata title, HTML <title>). */
  title?: string;
  /** The document's text, in order. Empty when the document has no text. */
  sections: DocumentSection[];
  /** Non-fatal notes about the load ("decoded as windows-1252", "page 3 could not be read"). */
  warnings?: LoadWarning[];
  /** The bytes of an image or audio document, for the model to describe or embed. */
  media?: MediaContent;
  /** Images linked from this document, to be indexed in the context of their heading. */
  images?: ImageReference[];
  /**
   * Set for a text file loaded without holding its text (see `LoadOptions.streamTextAbove`):
   * `sections` is then empty, and each call reads the file again and yields its sections one
   * window at a time (a read failure or a file that changed meanwhile rejects with a LoadError).
   */
  stream?: (signal?: AbortSignal) => AsyncIterable<DocumentSection>;
}

export interface LoadOptions {
  /**
   * Files above this size are skipped with a reason, whatever their format — except PDFs,
   * which are read one page at a time and indexed whatever their size.
   * @default 50 MiB
   */
  maxBytes?: number;
  /**
   * Images (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, AVIF) above this size are skipped with a reason. @default 20 MiB
   * (Gemini's inline-data
   * limit)
   */
  maxImageBytes?: number;
  /** Audio files (WAV, MP3) above this size are skipped with a reason. @default 20 MiB (Gemini's inline-data limit) */
  maxAudioBytes?: number;
  /**
   * Reads the text of a PDF page that has no text layer but shows an image (a scan), from the
   * page rendered as PNG; given when a model can read it (an API key). It may throw a LoadError
   * for that page (the page is then left out with a warning); other errors stop the load.
   * Without it, such pages are left out with a warning, and a PDF made only of them is a
   * {@link ScannedPdfError}.
   */
  readScannedPage?: (image: MediaContent, page: number) => Promise<string>;
  /**
   * The file's bytes, already read by the caller (which hashed them to see whether the file
   * changed): the file is not read again. The size limits apply to them all the same.
   */
  bytes?: Uint8Array;
  /**
   * Plain-text, code and Markdown files above this many bytes that are strict UTF-8 or UTF-16
   * come back with a `stream` of sections instead of `sections`, so their text is never held
   * whole (memory follows a window of 512 Ki characters, whatever the file's size). Unset, or
   * with `bytes`: every file is loaded whole.
   */
  streamTextAbove?: number;
  signal?: AbortSignal;
}

/** What a format loader produces; `loadDocument` adds the file and its hash. */
export type LoadedContent = Omit<LoadedDocument, "file" | "hash">;
