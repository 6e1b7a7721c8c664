import type { SourceFile } from "../sources/types.js";

/** What kind of content a document holds; decides the chunker and how citations read. */
export type DocumentKind = "markdown" | "text" | "code" | "pdf" | "html" | "image" | "audio" | "docx" | "xlsx";

/** A contiguous piece of a document's text: a PDF page, or the whole of a text file. */
export interface DocumentSection {
  /** The text, with `\n` line ends. */
  text: string;
  /** 1-based page number (PDF). */
  page?: number;
  /** 1-based line in the source file where `text` starts (text formats). */
  startLine?: number;
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
  /** Non-fatal notes about the load ("decoded as windows-1252"). */
  warnings?: string[];
}

export interface LoadOptions {
  /** Files above this size are skipped with a reason. @default 50 MiB */
  maxBytes?: number;
  signal?: AbortSignal;
}
