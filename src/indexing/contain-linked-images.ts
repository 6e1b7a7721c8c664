import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { LoadedDocument } from "../loaders/types.js";

/**
 * Drops the images a document links to from outside the folder it was found in (`../../../`
 * or an absolute path to a private photo): like a symbolic link out of the root, such a link
 * would send a file nobody asked to index to the model. Each dropped link becomes a warning.
 * With `followSymlinks` every link is kept. The folder is the document's source root (its own
 * folder when the root is the file itself), compared by real paths.
 */
export async function containLinkedImages(document: LoadedDocument, followSymlinks: boolean): Promise<LoadedDocument> {
  const images = document.images;
  if (followSymlinks || !images || images.length === 0) return document;
  const root = await realRoot(document.file.source);
  if (root === undefined) return document;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const kept: typeof images = [];
  const warnings: string[] = [];
  for (const image of images) {
    const real = await realpath(image.path).catch(() => undefined);
    if (real !== undefined && `${real}${path.sep}`.startsWith(prefix)) kept.push(image);
    else warnings.push(`linked image outside the indexed folder, not read: ${image.path} (line ${image.line})`);
  }
  if (warnings.length === 0) return document;
  const { images: _dropped, ...rest } = document;
  return {
    ...rest,
    ...(kept.length > 0 ? { images: kept } : {}),
    warnings: [...(document.warnings ?? []), ...warnings],
  };
}

async function realRoot(source: string): Promise<string | undefined> {
  try {
    const real = await realpath(source);
    return (await stat(real)).isDirectory() ? real : path.dirname(real);
  } catch {
    return undefined;
  }
}
