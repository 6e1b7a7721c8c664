import { createHash } from "node:crypto";
import { TextDecoder } from "node:util";
import { LoadError } from "../../errors.js";
import { fsErrorReason } from "../../sources/fs-error-reason.js";
import { RegularFile } from "../../sources/read-regular-file.js";
import type { SourceFile } from "../../sources/types.js";
import type { FileType } from "../detect/file-types.js";
import { looksLikeHtml, sniff, type TextSniff } from "../detect/sniff.js";
import { frontMatterTitle, splitFrontMatter } from "../markdown/front-matter.js";
import { findMarkdownImageLinks } from "../markdown/markdown-image-links.js";
import { parseMarkdown } from "../markdown/parse-markdown.js";
import { type ImageLink, resolveImageLinks } from "../media/resolve-image-links.js";
import { readCheckedHead, type SizeLimit, withRegularFile } from "../read-file-bytes.js";
import type { DocumentSection, LoadedDocument, LoadOptions } from "../types.js";
import { incomplete } from "../warnings.js";
import { DataLikeMeter } from "./data-like-text.js";
import { TextWindows } from "./load-text.js";

/** Bytes read at a time from a streamed text file. */
const READ_BYTES = 1024 * 1024;
/** Markdown front matter is looked for in this many first characters. */
const FRONT_MATTER_CHARACTERS = 64 * 1024;

/** The file types whose text can be streamed: plain text, code and Markdown chunk window by window. */
const STREAMED = new Set<FileType["kind"]>(["text", "code", "markdown", "sniff"]);

/** Where a streamed file's text is and how to read it. */
interface TextSource {
  path: string;
  encoding: TextSniff["encoding"];
  bomLength: number;
  markdown: boolean;
}

/**
 * Loads a large plain-text, code or Markdown file without ever holding its text. A first pass
 * reads it window by window to check that it decodes (strict UTF-8 or UTF-16), holds no NUL and
 * is no encoded data, and to learn what a loader needs from the whole (the hash; for Markdown the
 * title, front matter and image links). The document then has no `sections` but a `stream` that
 * reads the file again, window by window, with the sections `textSections` would cut.
 *
 * Undefined when the file is not above `streamTextAbove`, not of such a type, or needs the
 * whole-file loader (text that is not strict UTF-8 is decoded leniently or from a legacy
 * encoding there; a file of unknown type that starts like HTML is converted there): the caller
 * loads it whole. Differences from a whole-file load: a Markdown title is the first level-1
 * heading of the first window (512 Ki characters), and front matter must end in its first 64 Ki.
 */
export async function loadStreamedText(
  file: SourceFile,
  type: FileType,
  options: LoadOptions & { limit: (head: Uint8Array) => SizeLimit | undefined },
): Promise<LoadedDocument | undefined> {
  const threshold = options.streamTextAbove;
  if (threshold === undefined || !STREAMED.has(type.kind)) return undefined;
  const { signal } = options;
  const head = await readHead(file.path, threshold, options.limit, signal);
  if (!head) return undefined;
  const sniffed = sniff(head);
  if (sniffed.type !== "text") return undefined;
  const source: TextSource = {
    path: file.path,
    encoding: sniffed.encoding,
    bomLength: sniffed.bomLength,
    markdown: type.kind === "markdown",
  };
  const survey = await surveyText(source, type.kind === "sniff", signal);
  if (!survey) return undefined;
  const document: LoadedDocument = {
    file,
    hash: survey.hash,
    kind: type.kind === "code" ? "code" : type.kind === "markdown" ? "markdown" : "text",
    ...(type.kind === "code" ? { language: type.language } : {}),
    ...(survey.title === undefined ? {} : { title: survey.title }),
    sections: [],
  };
  // Encoded data is recorded as a document without text, as a whole-file load records it.
  if (survey.dataLike) return { ...document, warnings: [incomplete(survey.dataLike)] };
  if (survey.links.length > 0) {
    const { images, warnings } = await resolveImageLinks(file.path, survey.links, signal);
    if (images.length > 0) document.images = images;
    if (warnings.length > 0) document.warnings = warnings;
  }
  return { ...document, stream: (streamSignal) => readSections(source, streamSignal ?? signal) };
}

/** The first bytes of a file above `threshold` bytes (undefined for a smaller one), its size limit checked. */
async function readHead(
  path: string,
  threshold: number,
  limit: (head: Uint8Array) => SizeLimit | undefined,
  signal?: AbortSignal,
): Promise<Uint8Array | undefined> {
  return withRegularFile(path, signal, async (file) =>
    file.size <= threshold ? undefined : readCheckedHead(file, path, limit, signal),
  );
}

/** What the first pass over a streamed text learns. */
interface Survey {
  hash: string;
  dataLike?: string;
  title?: string;
  links: ImageLink[];
}

/** The first pass (see loadStreamedText); undefined when the file must be loaded whole. */
async function surveyText(source: TextSource, sniffing: boolean, signal?: AbortSignal): Promise<Survey | undefined> {
  const hash = createHash("sha256");
  const meter = new DataLikeMeter();
  const links: ImageLink[] = [];
  let title: string | undefined;
  let frontMatter: string | undefined;
  let first = true;
  try {
    const sections = readSections(source, signal, {
      onBytes: (bytes) => hash.update(bytes),
      onFrontMatter: (value) => (frontMatter = value),
    });
    for await (const section of sections) {
      if (first && sniffing && looksLikeHtml(section.text)) return undefined;
      meter.add(section.text);
      if (source.markdown) {
        const lines = section.text.split("\n");
        const heading = first
          ? parseMarkdown(lines).find((block) => block.type === "heading" && block.level === 1 && block.text !== "")
          : undefined;
        if (heading?.type === "heading") title = heading.text;
        links.push(...findMarkdownImageLinks(lines, section.startLine ?? 1));
      }
      first = false;
    }
  } catch (error) {
    if (error instanceof InvalidEncodingError) return undefined;
    throw error;
  }
  if (title === undefined && frontMatter !== undefined) title = frontMatterTitle(frontMatter);
  const dataLike = meter.reason();
  return { hash: hash.digest("hex"), ...(dataLike ? { dataLike } : {}), ...(title ? { title } : {}), links };
}

/** The bytes are not strict UTF-8 / UTF-16: the whole-file loader decides how to read them. */
class InvalidEncodingError extends Error {}

/**
 * The sections of a text file, decoded as it is read (strictly: invalid text throws
 * InvalidEncodingError, a NUL character a LoadError) with `\n` line ends.
 */
async function* readSections(
  source: TextSource,
  signal: AbortSignal | undefined,
  hooks: { onBytes?: (bytes: Uint8Array) => void; onFrontMatter?: (frontMatter: string) => void } = {},
): AsyncGenerator<DocumentSection> {
  const { path } = source;
  let file: RegularFile | undefined;
  try {
    file = await RegularFile.open(path);
    const decoder = new TextDecoder(source.encoding, { fatal: true, ignoreBOM: true });
    const cutter = new SectionCutter(path, source.markdown, hooks.onFrontMatter);
    let skip = source.bomLength;
    for await (const bytes of file.chunks({ chunkBytes: READ_BYTES, signal })) {
      hooks.onBytes?.(bytes);
      const body = skip > 0 ? bytes.subarray(Math.min(skip, bytes.length)) : bytes;
      skip = Math.max(0, skip - bytes.length);
      yield* cutter.push(decode(decoder, body));
    }
    yield* cutter.push(decode(decoder));
    yield* cutter.end();
  } catch (error) {
    if (error instanceof LoadError || error instanceof InvalidEncodingError) throw error;
    if (signal?.aborted) throw signal.reason;
    throw new LoadError(path, fsErrorReason(error), { cause: error });
  } finally {
    await file?.close();
  }
}

/** Decodes the next bytes (or, without any, the end of the text). */
function decode(decoder: TextDecoder, bytes?: Uint8Array): string {
  try {
    return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
  } catch (error) {
    throw new InvalidEncodingError(String(error), { cause: error });
  }
}

/**
 * Decoded text in, sections out: NUL refused, line ends made `\n` (also across reads), Markdown
 * front matter left out.
 */
class SectionCutter {
  readonly #path: string;
  readonly #onFrontMatter?: (frontMatter: string) => void;
  #windows?: TextWindows;
  /** Markdown text before its front matter is known. */
  #head = "";
  #carriage = false;
  #decoded = 0;

  constructor(path: string, markdown: boolean, onFrontMatter?: (frontMatter: string) => void) {
    this.#path = path;
    this.#onFrontMatter = onFrontMatter;
    if (!markdown) this.#windows = new TextWindows();
  }

  push(text: string): DocumentSection[] {
    const nul = text.indexOf("\u0000");
    if (nul >= 0) throw new LoadError(this.#path, `binary file (NUL character at position ${this.#decoded + nul})`);
    this.#decoded += text.length;
    let normal = (this.#carriage ? "\r" : "") + text;
    this.#carriage = normal.endsWith("\r");
    if (this.#carriage) normal = normal.slice(0, -1);
    return this.#add(normal.replace(/\r\n?/g, "\n"));
  }

  end(): DocumentSection[] {
    const sections = this.#carriage ? this.#add("\n") : [];
    this.#carriage = false;
    if (!this.#windows) sections.push(...this.#start());
    sections.push(...this.#windows!.end());
    return sections;
  }

  #add(text: string): DocumentSection[] {
    if (this.#windows) return this.#windows.push(text);
    this.#head += text;
    return this.#head.length < FRONT_MATTER_CHARACTERS ? [] : this.#start();
  }

  #start(): DocumentSection[] {
    const { body, bodyStartLine, frontMatter } = splitFrontMatter(this.#head);
    if (frontMatter !== undefined) this.#onFrontMatter?.(frontMatter);
    this.#head = "";
    this.#windows = new TextWindows(bodyStartLine);
    return this.#windows.push(body);
  }
}
