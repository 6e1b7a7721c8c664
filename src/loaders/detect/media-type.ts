/** An image or audio format recognised by its magic bytes. */
export interface MediaType {
  kind: "image" | "audio";
  /**
   * `image/png`, `image/jpeg`, `image/gif`, `image/webp`, `image/bmp`, `image/tiff`,
   * `image/heic`, `image/heif`, `image/avif`, `audio/wav` or `audio/mpeg`.
   */
  mimeType: string;
  /** Short name for messages ("PNG", "MP3"). */
  format: string;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** ISO-BMFF brands (`ftyp`) of HEIF images: HEVC-coded (HEIC), generic HEIF, AV1-coded (AVIF). */
const HEIF_BRANDS: Readonly<Record<string, Omit<MediaType, "kind">>> = {
  heic: { mimeType: "image/heic", format: "HEIC" },
  heix: { mimeType: "image/heic", format: "HEIC" },
  heim: { mimeType: "image/heic", format: "HEIC" },
  heis: { mimeType: "image/heic", format: "HEIC" },
  mif1: { mimeType: "image/heif", format: "HEIF" },
  msf1: { mimeType: "image/heif", format: "HEIF" },
  avif: { mimeType: "image/avif", format: "AVIF" },
  avis: { mimeType: "image/avif", format: "AVIF" },
};

/** Sizes of the BMP info headers (BITMAPCOREHEADER … BITMAPV5HEADER). */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/**
 * Recognises the image and audio formats gemindex hands to a model, from their first bytes:
 * PNG (`89 50 4E 47 0D 0A 1A 0A`), JPEG (`FF D8 FF`), GIF (`GIF87a`/`GIF89a`), WebP
 * (`RIFF….WEBP`), BMP (`BM`, zero reserved bytes and a known info-header size), TIFF
 * (`II*\0`/`MM\0*`), HEIC/HEIF/AVIF (an ISO-BMFF `ftyp` box with an image brand), WAV
 * (`RIFF….WAVE`), and MP3 (an `ID3` tag, or an MPEG Layer III frame header). The name of the
 * file plays no part. Undefined for anything else.
 */
export function detectMediaType(bytes: Uint8Array): MediaType | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return { kind: "image", mimeType: "image/png", format: "PNG" };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { kind: "image", mimeType: "image/jpeg", format: "JPEG" };
  if (startsWithAscii(bytes, "GIF87a") || startsWithAscii(bytes, "GIF89a"))
    return { kind: "image", mimeType: "image/gif", format: "GIF" };
  if (isBmp(bytes)) return { kind: "image", mimeType: "image/bmp", format: "BMP" };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return { kind: "image", mimeType: "image/tiff", format: "TIFF" };
  if (bytes.length >= 12 && startsWithAscii(bytes.subarray(4), "ftyp")) {
    const brand = HEIF_BRANDS[String.fromCharCode(...bytes.subarray(8, 12))];
    if (brand) return { kind: "image", ...brand };
  }
  if (startsWithAscii(bytes, "RIFF") && bytes.length >= 12) {
    if (startsWithAscii(bytes.subarray(8), "WEBP")) return { kind: "image", mimeType: "image/webp", format: "WebP" };
    if (startsWithAscii(bytes.subarray(8), "WAVE")) return { kind: "audio", mimeType: "audio/wav", format: "WAV" };
  }
  // ID3v2: "ID3", a major version below 0xFF, then a flags byte.
  if (startsWithAscii(bytes, "ID3") && bytes.length >= 10 && bytes[3]! < 0xff)
    return { kind: "audio", mimeType: "audio/mpeg", format: "MP3" };
  if (isMp3Stream(bytes)) return { kind: "audio", mimeType: "audio/mpeg", format: "MP3" };
  return undefined;
}

/** Bitrates (kbit/s) of Layer III by bitrate index, for MPEG-1 and for MPEG-2/2.5. */
const MPEG1_LAYER3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_LAYER3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const SAMPLE_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/**
 * An MP3 without an ID3 tag starts with a frame: 11 sync bits (`FF Ex`/`FF Fx`), a valid
 * version, layer III, a valid bitrate and sample rate. Only layer III is accepted so that a
 * UTF-16 LE byte-order mark (`FF FE`, which reads as layer I) is never taken for audio; when the
 * next frame lies within the bytes, its header must be valid too.
 */
function isMp3Stream(bytes: Uint8Array): boolean {
  const first = mp3FrameLength(bytes, 0);
  if (first === undefined) return false;
  if (first + 4 > bytes.length) return true;
  return mp3FrameLength(bytes, first) !== undefined;
}

/** Length in bytes of the Layer III frame whose header starts at `offset`, or undefined when it is no valid header. */
function mp3FrameLength(bytes: Uint8Array, offset: number): number | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5, 1 reserved
  const layer = (b1 >> 1) & 0x03; // 1 = layer III
  if (version === 1 || layer !== 1) return undefined;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0x03;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const kbps = (version === 3 ? MPEG1_LAYER3_KBPS : MPEG2_LAYER3_KBPS)[bitrateIndex]!;
  const sampleRate = SAMPLE_RATES[version]![rateIndex]!;
  const padding = (b2 >> 1) & 0x01;
  return Math.floor(((version === 3 ? 144 : 72) * kbps * 1000) / sampleRate) + padding;
}

/** `BM`, a file size, two zero reserved words, a pixel offset, then an info header of a known size. */
function isBmp(bytes: Uint8Array): boolean {
  if (bytes.length < 18 || !startsWithAscii(bytes, "BM")) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(6, true) === 0 && BMP_HEADER_SIZES.has(view.getUint32(14, true));
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[index] !== prefix.charCodeAt(index)) return false;
  return true;
}
