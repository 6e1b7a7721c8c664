import path from "node:path";
import { countTokens } from "../chunking/tokens.js";
import type { Chunk } from "../chunking/types.js";
import { isInputFault, LoadError } from "../errors.js";
import { loadDocument } from "../loaders/load-document.js";
import type { DocumentSection, ImageReference, LoadedDocument, MediaContent } from "../loaders/types.js";
import { incomplete, type LoadWarning } from "../loaders/warnings.js";
import type { MediaDescriber, TranscriptSegment } from "../providers/types.js";
import { hashBytes } from "../sources/fingerprint.js";
import { metaKeys } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";

export interface DescribeOptions {
  store: Store;
  /** Absent without an API key: media documents cannot be described. */
  describer?: MediaDescriber;
  maxImageBytes?: number;
  signal?: AbortSignal;
}

/** An image a document links to, described, ready to become a chunk of that document. */
export interface LinkedImage {
  reference: ImageReference;
  caption: string;
  media: MediaContent;
}

/** Thrown for media that cannot be described without a key: the file is skipped, not failed. */
export class NeedsDescriberError extends LoadError {}

/**
 * The reader of scanned PDF pages for the loader (`LoadOptions.readScannedPage`): the describer's
 * OCR, cached by the rendered page's content like captions; a page the model refuses becomes a
 * LoadError for that page. Undefined without a describer (an API key).
 */
export function scannedPageReader(
  filePath: string,
  options: Pick<DescribeOptions, "store" | "describer" | "signal">,
): ((image: MediaContent, page: number) => Promise<string>) | undefined {
  const { describer, store, signal } = options;
  if (!describer) return undefined;
  const name = path.basename(filePath);
  return async (image, page) => {
    try {
      return await cached(store, "page-text", describer.model, image.data, () =>
        describer.transcribePage(image, { name, page }, { signal }),
      );
    } catch (error) {
      if (isInputFault(error)) throw new LoadError(filePath, error.message, { cause: error });
      throw error;
    }
  };
}

/**
 * Descriptions cost a model call, so they are kept by content hash and model: re-indexing a
 * changed Markdown file does not caption its unchanged images again.
 */
async function cached(
  store: Store,
  kind: string,
  model: string,
  data: Uint8Array,
  make: () => Promise<string>,
): Promise<string> {
  const key = metaKeys.description(kind, model, hashBytes(data));
  const known = await store.readValue<string>(key);
  if (known !== undefined) return known;
  const text = await make();
  await store.writeValue(key, text);
  return text;
}

function timestamp(seconds: number): string {
  const whole = Math.floor(seconds);
  const parts = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60].map((part) =>
    String(part).padStart(2, "0"),
  );
  return parts[0] === "00" ? `${parts[1]}:${parts[2]}` : parts.join(":");
}

/** Groups transcript segments into sections of about `targetTokens`, each labelled with its time range. */
export function transcriptSections(segments: TranscriptSegment[], targetTokens = 300): DocumentSection[] {
  const sections: DocumentSection[] = [];
  let group: TranscriptSegment[] = [];
  let tokens = 0;
  const close = () => {
    if (group.length === 0) return;
    const first = group[0]!;
    const last = group[group.length - 1]!;
    const end = last.end ?? last.start;
    sections.push({
      text: group.map((segment) => `[${timestamp(segment.start)}] ${segment.text}`).join("\n"),
      location: end > first.start ? `${timestamp(first.start)}-${timestamp(end)}` : timestamp(first.start),
    });
    group = [];
    tokens = 0;
  };
  for (const segment of segments) {
    const size = countTokens(segment.text);
    if (tokens > 0 && tokens + size > targetTokens) close();
    group.push(segment);
    tokens += size;
  }
  close();
  return sections;
}

/**
 * Gives image and audio documents their text (a caption with any visible text; a timestamped
 * transcript) and describes the images a text document links to. Needs a describer (an API key):
 * without one, a media document is skipped with a reason, and links are left as their alt text.
 */
export async function describeMedia(
  document: LoadedDocument,
  options: DescribeOptions,
): Promise<{ document: LoadedDocument; linked: LinkedImage[]; warnings?: LoadWarning[] }> {
  const { describer, store, signal } = options;
  const name = path.basename(document.file.path);
  if (document.media) {
    if (!describer)
      throw new NeedsDescriberError(
        document.file.path,
        `${document.kind} files need GEMINI_API_KEY (a Gemini model describes them)`,
      );
    const media = document.media;
    if (document.kind === "audio") {
      const transcript = await cached(store, "transcript", describer.model, media.data, async () =>
        JSON.stringify(await describer.transcribeAudio(media, { name }, { signal })),
      );
      return {
        document: { ...document, sections: transcriptSections(JSON.parse(transcript) as TranscriptSegment[]) },
        linked: [],
      };
    }
    const caption = await cached(store, "caption", describer.model, media.data, () =>
      describer.describeImage(media, { name }, { signal }),
    );
    return { document: { ...document, sections: [{ text: caption }] }, linked: [] };
  }
  if (!describer || !document.images?.length) return { document, linked: [] };
  const linked: LinkedImage[] = [];
  const warnings: LoadWarning[] = [];
  for (const reference of document.images) {
    const stat = { path: reference.path, source: document.file.source, relativePath: "", size: 0, mtimeMs: 0 };
    let image: LoadedDocument;
    try {
      image = await loadDocument(stat, { maxImageBytes: options.maxImageBytes, signal });
    } catch (error) {
      if (error instanceof LoadError) continue;
      throw error;
    }
    if (!image.media || image.kind !== "image") continue;
    const media = image.media;
    let caption: string;
    try {
      caption = await cached(store, "caption", describer.model, media.data, () =>
        describer.describeImage(
          media,
          { name: path.basename(reference.path), alt: reference.alt, headings: reference.headings },
          { signal },
        ),
      );
    } catch (error) {
      // The model refused this image: the document keeps its text (and the link's alt text).
      // An image under an indexed folder is also a document of its own, whose failure is reported.
      if (isInputFault(error)) {
        warnings.push(incomplete(`linked image ${path.basename(reference.path)} left out: ${error.message}`));
        continue;
      }
      throw error;
    }
    linked.push({ reference, caption, media });
  }
  return warnings.length > 0 ? { document, linked, warnings } : { document, linked };
}

/** Chunks for linked images, placed after the document's own chunks, in the context of their heading. */
export function linkedImageChunks(linked: LinkedImage[], firstOrdinal: number): Array<Chunk & { media: MediaContent }> {
  return linked.map(({ reference, caption, media }, i) => {
    const label = `Image ${path.basename(reference.path)}${reference.alt ? `: ${reference.alt}` : ""}`;
    const text = `${reference.headings.length ? `${reference.headings.join(" > ")}\n\n` : ""}${label}\n${caption}`;
    return {
      ordinal: firstOrdinal + i,
      text,
      headings: reference.headings,
      lineStart: reference.line,
      lineEnd: reference.line,
      tokens: countTokens(text),
      media,
    };
  });
}
