import { type FileHandle, open, stat } from "node:fs/promises";
import path from "node:path";

import { toPosixPath } from "../../sources/to-posix-path.js";
import { extensionOf } from "../detect/file-types.js";
import { detectMediaType } from "../detect/media-type.js";
import type { ImageReference } from "../types.js";
import { incomplete, type LoadWarning } from "../warnings.js";

/** An image link as written in a document, before it is resolved to a file. */
export interface ImageLink {
  /** The link target as written (`img/a.png`, `<my image.png>`, `https://…`). */
  target: string;
  alt: string;
  headings: string[];
  /** 1-based line of the link in the document's file. */
  line: number;
}

/** Links kept per document; a page of thousands of thumbnails is not a document about each. */
export const MAX_IMAGE_LINKS = 500;
/** Warnings about links kept per document; the rest are counted in one line. */
const MAX_LINK_WARNINGS = 10;
const IMAGE_EXTENSIONS = new Set(["png", "jpg", "jpeg", "gif", "webp"]);

/**
 * Resolves a document's image links to local image files: targets relative to the document's
 * folder (or absolute paths), with `%`-escapes decoded and any `?query`/`#fragment` dropped.
 * A link is kept when its file exists and its bytes are a PNG, JPEG, GIF or WebP image (the
 * extension does not matter); each file is kept once, at its first link. Remote URLs (any
 * scheme, or `//host`) and links to other file types are ignored quietly; a missing file, or an
 * image-named file that is no image, becomes a warning — except a missing absolute path, which
 * is usually relative to a web site's root (`/img/logo.png`) and is ignored quietly too.
 */
export async function resolveImageLinks(
  documentPath: string,
  links: readonly ImageLink[],
  signal?: AbortSignal,
): Promise<{ images: ImageReference[]; warnings: LoadWarning[] }> {
  const images: ImageReference[] = [];
  // A linked image that cannot be used is a part of the document the index will not have.
  const warnings: LoadWarning[] = [];
  let unreported = 0;
  const warn = (message: string) => {
    if (warnings.length < MAX_LINK_WARNINGS) warnings.push(incomplete(message));
    else unreported++;
  };
  const seen = new Set<string>();
  const folder = path.dirname(documentPath);
  for (const link of links) {
    signal?.throwIfAborted();
    const local = localTarget(link.target);
    if (local === undefined) continue;
    const resolved = toPosixPath(path.resolve(folder, local));
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    const media = await readImageType(resolved);
    if (media === "missing") {
      // "/img/a.png" is usually relative to a web site's root, not the file system: no warning.
      if (!path.isAbsolute(local)) warn(`linked image not found: ${link.target} (line ${link.line})`);
    } else if (media === "image") {
      if (images.length >= MAX_IMAGE_LINKS) {
        warn(`more than ${MAX_IMAGE_LINKS} linked images: the rest are not indexed`);
        break;
      }
      images.push({ path: resolved, alt: link.alt, headings: [...link.headings], line: link.line });
    } else if (IMAGE_EXTENSIONS.has(extensionOf(resolved))) {
      warn(`linked image is not a PNG, JPEG, GIF or WebP image: ${link.target} (line ${link.line})`);
    }
  }
  if (unreported > 0)
    warnings.push(incomplete(`${unreported} more linked image${unreported === 1 ? "" : "s"} could not be used`));
  return { images, warnings };
}

/** The file path a link target names, or undefined for remote URLs, data URIs and in-page anchors. */
function localTarget(target: string): string | undefined {
  let value = target.trim();
  if (value.startsWith("<") && value.endsWith(">")) value = value.slice(1, -1).trim();
  // A scheme (http:, data:, file:…) or a protocol-relative URL: not a local path. One letter
  // followed by ":" is a Windows drive on Windows.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (scheme && !(scheme[1]!.length === 1 && path.sep === "\\")) return undefined;
  if (value.startsWith("//") || value.startsWith("#") || value === "") return undefined;
  value = value.replace(/[?#].*$/, "");
  try {
    value = decodeURIComponent(value);
  } catch {
    // A lone "%" in a file name: use the name as written.
  }
  return value === "" ? undefined : value;
}

/** Whether the file exists and starts like a PNG, JPEG, GIF or WebP image. */
async function readImageType(filePath: string): Promise<"image" | "other" | "missing"> {
  // stat before open: opening a FIFO would block until a writer appears.
  const stats = await stat(filePath).catch(() => undefined);
  if (!stats?.isFile()) return "missing";
  let handle: FileHandle;
  try {
    handle = await open(filePath, "r");
  } catch {
    return "missing";
  }
  try {
    const head = new Uint8Array(16);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return detectMediaType(head.subarray(0, bytesRead))?.kind === "image" ? "image" : "other";
  } catch {
    return "other";
  } finally {
    await handle.close();
  }
}
