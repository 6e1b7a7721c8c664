import path from "node:path";

import type { DocumentKind } from "../types.js";

/**
 * How a file is loaded, as far as its name says. Content has the last word: `loadDocument`
 * sniffs the bytes, so a `.txt` holding a PNG loads as an image and a `.png` holding text as
 * text.
 */
export type FileType =
  | { kind: "markdown" }
  | { kind: "text" }
  | { kind: "pdf" }
  | { kind: "code"; language: string }
  | { kind: "html" }
  | { kind: "image" }
  | { kind: "audio" }
  | { kind: "docx" }
  | { kind: "xlsx" }
  /** A format gemindex knows but cannot read (BMP, SVG, FLAC, legacy .doc/.xls, OpenDocument). */
  | { kind: "unsupported"; planned: DocumentKind }
  /** Unknown extension or none: the content decides (text, HTML, PDF, media, Office, or binary). */
  | { kind: "sniff" };

const MARKDOWN_EXTENSIONS = ["md", "markdown", "mdx", "mdown", "mkd"];

const TEXT_EXTENSIONS = ["txt", "text", "rst", "adoc", "asciidoc", "org", "log", "csv", "tsv"];

/** Source-code extensions and the language recorded on their documents. */
export const CODE_LANGUAGES: Readonly<Record<string, string>> = {
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "tsx",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "jsx",
  py: "python",
  pyi: "python",
  go: "go",
  rs: "rust",
  java: "java",
  kt: "kotlin",
  kts: "kotlin",
  c: "c",
  h: "c",
  cpp: "cpp",
  cc: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  hh: "cpp",
  cs: "csharp",
  rb: "ruby",
  php: "php",
  swift: "swift",
  scala: "scala",
  lua: "lua",
  dart: "dart",
  sh: "shell",
  bash: "shell",
  zsh: "shell",
  ps1: "powershell",
  sql: "sql",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  json: "json",
  css: "css",
  scss: "scss",
  less: "less",
  proto: "protobuf",
  graphql: "graphql",
};

/** Extension-less files whose name says what language they are in. */
const CODE_FILE_NAMES: Readonly<Record<string, string>> = {
  Dockerfile: "dockerfile",
  Makefile: "makefile",
  GNUmakefile: "makefile",
  Justfile: "just",
  Rakefile: "ruby",
  Gemfile: "ruby",
};

/** Extensions of the formats with a loader beyond text, code and PDF. */
const FORMAT_EXTENSIONS: Readonly<Record<string, "html" | "image" | "audio" | "docx" | "xlsx">> = {
  html: "html",
  htm: "html",
  xhtml: "html",
  png: "image",
  jpg: "image",
  jpeg: "image",
  gif: "image",
  webp: "image",
  bmp: "image",
  tif: "image",
  tiff: "image",
  heic: "image",
  heif: "image",
  avif: "image",
  wav: "audio",
  mp3: "audio",
  docx: "docx",
  docm: "docx",
  xlsx: "xlsx",
  xlsm: "xlsx",
};

/**
 * Formats gemindex knows but has no loader for. Reported as "unsupported file type" (or passed
 * over by discovery) rather than sniffed: they are binary containers that deserve a clearer
 * reason than "binary file", and SVG would load as text full of markup.
 */
const UNSUPPORTED: Readonly<Record<string, DocumentKind>> = {
  svg: "image",
  m4a: "audio",
  flac: "audio",
  ogg: "audio",
  oga: "audio",
  opus: "audio",
  aac: "audio",
  wma: "audio",
  aiff: "audio",
  doc: "docx",
  odt: "docx",
  xls: "xlsx",
  ods: "xlsx",
};

/** Lower-case extension without the dot ("" when none; dot-files like `.bashrc` have none). */
export function extensionOf(filePath: string): string {
  return path.extname(filePath).slice(1).toLowerCase();
}

/** Picks how `filePath` is loaded from its name: by extension, then by well-known file name. */
export function fileTypeFor(filePath: string): FileType {
  const extension = extensionOf(filePath);
  if (MARKDOWN_EXTENSIONS.includes(extension)) return { kind: "markdown" };
  if (TEXT_EXTENSIONS.includes(extension)) return { kind: "text" };
  if (extension === "pdf") return { kind: "pdf" };
  const language =
    CODE_LANGUAGES[extension] ?? (extension === "" ? CODE_FILE_NAMES[path.basename(filePath)] : undefined);
  if (language) return { kind: "code", language };
  const format = FORMAT_EXTENSIONS[extension];
  if (format) return { kind: format };
  const planned = UNSUPPORTED[extension];
  if (planned) return { kind: "unsupported", planned };
  return { kind: "sniff" };
}

/**
 * Extensions of content that is not a document (archives, media, fonts, executables, lock
 * files): discovery passes over them quietly instead of reporting each one as a failure.
 */
const PASSED_OVER = new Set(
  (
    "zip gz tgz bz2 xz zst 7z rar tar jar war ear exe dll so dylib o a lib obj class pyc pyo wasm " +
    "woff woff2 ttf otf eot ico icns mp4 m4v mov avi mkv webm flv wmv iso dmg img deb rpm apk msi " +
    "sqlite sqlite3 db lance parquet arrow feather npy npz pkl pt onnx safetensors lock"
  ).split(" "),
);

/**
 * Whether discovery should hand `filePath` to the loaders: every extension except formats
 * gemindex cannot read (SVG, FLAC, legacy Office…) and content that is not a document
 * (archives, video, fonts, binaries, lock files), which are skipped without a report line.
 * Text, Markdown, code, PDF, HTML, Word, Excel, images (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, AVIF) and audio (WAV,
 * MP3) are handed over; unknown extensions and extension-less files are sniffed by the loader
 * (text, HTML, PDF, media and Office files load, other binary content becomes a "binary file"
 * failure). `loadDocument` still accepts any file when asked directly.
 */
export function isSupportedPath(filePath: string): boolean {
  const type = fileTypeFor(filePath);
  return type.kind !== "unsupported" && !PASSED_OVER.has(extensionOf(filePath));
}
