import type { LoadedContent } from "./loaded-content.js";
import type { MediaType } from "./media-type.js";

/**
 * An image or audio file as a document without text: `media` holds its bytes and MIME type
 * (from its magic bytes, not its name) for a model to caption, transcribe or embed; it has
 * no sections. Size limits are applied when the file is read (`LoadOptions.maxImageBytes`,
 * `maxAudioBytes`).
 */
export function loadMedia(media: MediaType, bytes: Uint8Array): LoadedContent {
  return { kind: media.kind, sections: [], media: { mimeType: media.mimeType, data: bytes } };
}
