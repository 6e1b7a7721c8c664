/**
 * Image checks shared by chat and embeddings: which types each accepts, and whether the bytes
 * are what the MIME type claims (the service decodes them; garbage is a 400).
 */
import { invalidArgument } from "./errors.js";

/** Chat reads these inline (https://ai.google.dev/gemini-api/docs/openai); GIF, BMP, TIFF, SVG, AVIF are refused. */
export const CHAT_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"]);

/**
 * Gemini Embedding 2 takes PNG and JPEG only, at most 6 per request (https://ai.google.dev/gemini-api/docs/embeddings).
 */
export const EMBEDDING_IMAGE_TYPES = new Set(["image/png", "image/jpeg"]);
export const MAX_EMBEDDING_IMAGES = 6;

const ascii = (bytes: Buffer, at: number, text: string) =>
  bytes.subarray(at, at + text.length).toString("latin1") === text;

/** The image type the bytes hold, from their magic numbers; undefined when none is recognised. */
export function sniffImage(bytes: Buffer): string | undefined {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a)
    return "image/png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (ascii(bytes, 0, "GIF8")) return "image/gif";
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return "image/webp";
  if (ascii(bytes, 0, "BM")) return "image/bmp";
  if (ascii(bytes, 0, "II*\0") || ascii(bytes, 0, "MM\0*")) return "image/tiff";
  if (ascii(bytes, 4, "ftyp")) {
    const brand = bytes.subarray(8, 12).toString("latin1");
    if (brand.startsWith("hei")) return "image/heic";
    if (brand === "mif1" || brand === "msf1") return "image/heif";
    if (brand.startsWith("avi")) return "image/avif";
  }
  if (/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(bytes.subarray(0, 512).toString("utf8"))) return "image/svg+xml";
  return undefined;
}

/**
 * Refuses an image the way the service does: a type it does not take is
 * `400 Unsupported MIME type: image/gif`; bytes that are not the declared type cannot be decoded.
 */
export function checkImage(mimeType: string, bytes: Buffer, accepted: ReadonlySet<string>): void {
  if (!accepted.has(mimeType)) throw invalidArgument(`Unsupported MIME type: ${mimeType}`);
  const actual = sniffImage(bytes);
  if (actual !== mimeType) {
    // The service decodes what it is given; a GIF sent as image/png is no PNG to it.
    throw invalidArgument(
      actual !== undefined && !accepted.has(actual)
        ? `Unsupported MIME type: ${actual}`
        : "Unable to process input image. Please retry or report in " +
            "https://developers.generativeai.google/guide/troubleshooting",
    );
  }
}
