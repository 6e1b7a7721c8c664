import type { MediaType } from "../detect/media-type.js";

/**
 * Image types a Gemini chat model reads inline: PNG, JPEG, WebP, HEIC and HEIF. Anything else
 * (GIF, BMP, TIFF, AVIF, SVG) is refused with `400 Unsupported MIME type`
 * (https://ai.google.dev/gemini-api/docs/image-understanding#supported-formats).
 */
export const MODEL_READABLE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/heic",
  "image/heif",
]);

/**
 * Re-encodes an image as PNG: GIF, TIFF and AVIF through sharp (libvips; the first frame or
 * page only), BMP through bmp-ts (libvips's prebuilt builds have no BMP reader) and then sharp.
 * Throws the decoder's error for damaged or unreadable images.
 */
export async function convertToPng(bytes: Uint8Array, media: MediaType): Promise<Uint8Array> {
  const { default: sharp } = await import("sharp");
  if (media.mimeType === "image/bmp") {
    const { decode } = await import("bmp-ts");
    const bitmap = decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: true });
    const pixels = Buffer.from(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength);
    const image = sharp(pixels, { raw: { width: bitmap.width, height: bitmap.height, channels: 4 } });
    // BMPs below 32 bits per pixel have no alpha: bmp-ts leaves it 0, which would read as transparent.
    const opaque = bitmap.bitPP < 32 || pixels.every((value, index) => index % 4 !== 3 || value === 0);
    return new Uint8Array(await (opaque ? image.removeAlpha() : image).png().toBuffer());
  }
  // `pages: 1` (the default) decodes the first frame of an animated GIF, the first page of a TIFF.
  return new Uint8Array(await sharp(bytes, { pages: 1 }).png().toBuffer());
}
