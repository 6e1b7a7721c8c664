import { LoadError } from "../../errors.js";
import type { MediaType } from "../detect/media-type.js";
import type { LoadedContent } from "../types.js";
import { converted } from "../warnings.js";
import { convertToPng, MODEL_READABLE_IMAGE_TYPES } from "./convert-image.js";

/**
 * An image or audio file as a document without text: `media` holds its bytes and MIME type
 * (from its magic bytes, not its name) for a model to caption, transcribe or embed; it has
 * no sections. Images a model cannot read (GIF, BMP, TIFF, AVIF) are converted to PNG (the
 * first frame or page), with a warning saying so; one that cannot be decoded is a LoadError.
 * Size limits are applied when the file is read (`LoadOptions.maxImageBytes`, `maxAudioBytes`).
 */
export async function loadMedia(path: string, media: MediaType, bytes: Uint8Array): Promise<LoadedContent> {
  if (media.kind === "audio" || MODEL_READABLE_IMAGE_TYPES.has(media.mimeType))
    return { kind: media.kind, sections: [], media: { mimeType: media.mimeType, data: bytes } };
  let png: Uint8Array;
  try {
    png = await convertToPng(bytes, media);
  } catch (error) {
    throw new LoadError(path, `${media.format} image could not be converted to PNG (${(error as Error).message})`, {
      cause: error,
    });
  }
  const frame = media.mimeType === "image/gif" || media.mimeType === "image/tiff" ? " (first frame)" : "";
  return {
    kind: "image",
    sections: [],
    media: { mimeType: "image/png", data: png },
    warnings: [converted(`converted from ${media.format} to PNG${frame}: Gemini does not read ${media.mimeType}`)],
  };
}
