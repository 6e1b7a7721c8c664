import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

import { classifyZip } from "../../src/loaders/detect/classify-zip.js";
import { detectMediaType } from "../../src/loaders/detect/media-type.js";
import { looksLikeHtml, sniff } from "../../src/loaders/detect/sniff.js";
import { readZipDirectory, readZipEntry, ZipFormatError } from "../../src/loaders/office/read-zip-directory.js";
import { decodeText, UndecodableTextError } from "../../src/loaders/text/decode-text.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");
const fixture = async (relative: string) => new Uint8Array(await readFile(path.join(fixtures, relative)));

const bytes = (text: string, encoding: BufferEncoding = "utf8") => new Uint8Array(Buffer.from(text, encoding));

describe("sniff", () => {
  it("recognises a PDF by its magic bytes", () => {
    expect(sniff(bytes("%PDF-1.7\n..."))).toEqual({ type: "pdf" });
  });

  it("keeps text that merely mentions %PDF- as text", () => {
    expect(sniff(bytes("A PDF file starts with %PDF- and a version.")).type).toBe("text");
  });

  it("calls content with a NUL byte binary", () => {
    expect(sniff(Uint8Array.from([0x48, 0x69, 0x00, 0x21]))).toEqual({
      type: "binary",
      evidence: "NUL byte at offset 2",
    });
  });

  it("calls content with many control characters binary, but tolerates tabs, form feeds and ANSI colours", () => {
    expect(sniff(Uint8Array.from([0x01, 0x02, 0x03, 0x41, 0x42, 0x43, 0x44, 0x45])).type).toBe("binary");
    expect(sniff(bytes("\u001b[31merror\u001b[0m\tcolumn\f\r\n")).type).toBe("text");
  });

  it("reads byte-order marks", () => {
    expect(sniff(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ type: "text", encoding: "utf-8", bomLength: 3 });
    expect(sniff(Uint8Array.from([0xff, 0xfe, 0x41, 0x00]))).toEqual({
      type: "text",
      encoding: "utf-16le",
      bomLength: 2,
    });
    expect(sniff(Uint8Array.from([0xfe, 0xff, 0x00, 0x41]))).toEqual({
      type: "text",
      encoding: "utf-16be",
      bomLength: 2,
    });
  });

  it("recognises UTF-16 without a byte-order mark instead of calling it binary", () => {
    expect(sniff(bytes("Plain notes, written by a Windows tool.", "utf16le"))).toEqual({
      type: "text",
      encoding: "utf-16le",
      bomLength: 0,
    });
    expect(sniff(new Uint8Array(Buffer.from("Big-endian notes here.", "utf16le").swap16()))).toEqual({
      type: "text",
      encoding: "utf-16be",
      bomLength: 0,
    });
  });
});

describe("sniff: media, archives", () => {
  it("recognises each image and audio fixture by its magic bytes", async () => {
    const expected: Record<string, string> = {
      "media/gauge.png": "image/png",
      "media/gauge.jpg": "image/jpeg",
      "media/gauge.gif": "image/gif",
      "media/gauge.webp": "image/webp",
      "media/gauge.bmp": "image/bmp",
      "media/gauge.tiff": "image/tiff",
      "media/tone.wav": "audio/wav",
      "media/tone.mp3": "audio/mpeg",
      "media/really-a-png.txt": "image/png",
    };
    for (const [relative, mimeType] of Object.entries(expected)) {
      const sniffed = sniff(await fixture(relative));
      expect(sniffed.type, relative).toBe("media");
      expect(sniffed.type === "media" && sniffed.media.mimeType, relative).toBe(mimeType);
    }
    expect(sniff(await fixture("media/not-really.png")).type).toBe("text");
  });

  it("knows HEIC, HEIF and AVIF by their ftyp brand, and text starting with BM is no bitmap", () => {
    const ftyp = (brand: string) =>
      new Uint8Array(Buffer.from(`\u0000\u0000\u0000\u0018ftyp${brand}\u0000\u0000\u0000\u0000`, "latin1"));
    expect(detectMediaType(ftyp("heic"))?.mimeType).toBe("image/heic");
    expect(detectMediaType(ftyp("mif1"))?.mimeType).toBe("image/heif");
    expect(detectMediaType(ftyp("avif"))?.mimeType).toBe("image/avif");
    expect(detectMediaType(ftyp("isom"))).toBeUndefined();
    expect(sniff(new Uint8Array(Buffer.from("BMW service intervals: every 15,000 km.\n"))).type).toBe("text");
  });

  it("knows an MP3 by an ID3 tag or by two valid Layer III frame headers", () => {
    expect(detectMediaType(Uint8Array.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0, 0, 0, 0x10]))?.mimeType).toBe(
      "audio/mpeg",
    );
    // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: frames of 417 bytes.
    const frames = new Uint8Array(417 * 2 + 4);
    frames.set([0xff, 0xfb, 0x90, 0x64], 0);
    frames.set([0xff, 0xfb, 0x90, 0x64], 417);
    expect(detectMediaType(frames)?.mimeType).toBe("audio/mpeg");
    // Only the first frame header is right: random bytes that happen to start with a sync.
    frames.set([0x12, 0x34, 0x56, 0x78], 417);
    expect(detectMediaType(frames)).toBeUndefined();
  });

  it("never takes a UTF-16 byte-order mark or other RIFF files for media", () => {
    expect(
      sniff(new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("A tide note.", "utf16le")]))).type,
    ).toBe("text");
    expect(
      detectMediaType(new Uint8Array(Buffer.from("RIFF\u0000\u0000\u0000\u0000AVI LIST", "latin1"))),
    ).toBeUndefined();
    expect(detectMediaType(new Uint8Array(Buffer.from("GIF90a", "latin1")))).toBeUndefined();
  });

  it("tells ZIP archives and OLE compound files from binary", () => {
    expect(sniff(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]))).toEqual({ type: "zip" });
    expect(sniff(Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]))).toEqual({ type: "zip" });
    expect(sniff(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]))).toEqual({ type: "ole" });
  });
});

describe("readZipDirectory and classifyZip", () => {
  it("lists a Word document's and a workbook's parts and tells them apart", async () => {
    const docx = readZipDirectory(await fixture("office/report.docx"));
    expect(docx.map((entry) => entry.name)).toContain("word/document.xml");
    expect(classifyZip(docx)).toEqual({ kind: "docx" });
    expect(classifyZip(readZipDirectory(await fixture("office/tide-log.xlsx")))).toEqual({ kind: "xlsx" });
    expect(classifyZip(readZipDirectory(await fixture("office/archive.zip")))).toEqual({
      kind: "archive",
      label: "ZIP",
    });
    expect(
      classifyZip(
        [{ name: "[Content_Types].xml" }, { name: "ppt/presentation.xml" }].map((entry) => ({
          ...entry,
          method: 0,
          compressedSize: 0,
          uncompressedSize: 0,
        })),
      ),
    ).toEqual({
      kind: "archive",
      label: "PowerPoint presentation",
    });
  });

  it("reads stored and deflated entries", async () => {
    const bytes = await fixture("office/report.docx");
    const core = readZipDirectory(bytes).find((entry) => entry.name === "docProps/core.xml")!;
    expect(core.method).toBe(8);
    expect(new TextDecoder().decode(readZipEntry(bytes, core))).toContain("<dc:title>Harbour Survey Report</dc:title>");
    const archive = await fixture("office/archive.zip");
    const readme = readZipDirectory(archive).find((entry) => entry.name === "notes/readme.txt")!;
    expect(new TextDecoder().decode(readZipEntry(archive, readme))).toContain("plain ZIP");
  });

  it("refuses a truncated archive", async () => {
    const truncated = await fixture("office/truncated.docx");
    expect(() => readZipDirectory(truncated)).toThrow(ZipFormatError);
    expect(() => readZipDirectory(new Uint8Array(10))).toThrow(/no readable central directory/);
  });
});

describe("looksLikeHtml", () => {
  it("accepts a doctype or <html> start, after comments or an XML declaration, and nothing else", () => {
    expect(looksLikeHtml("<!DOCTYPE html>\n<html>")).toBe(true);
    expect(looksLikeHtml("  <!-- saved page -->\n<HTML lang=en>")).toBe(true);
    expect(looksLikeHtml('<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">')).toBe(
      true,
    );
    expect(looksLikeHtml("# Title\n\n<div>inline HTML in Markdown</div>")).toBe(false);
    expect(looksLikeHtml("<template><div/></template>")).toBe(false);
    expect(looksLikeHtml("<htmlish>")).toBe(false);
  });
});

describe("decodeText", () => {
  it("normalises CRLF and lone CR line ends to LF", () => {
    expect(decodeText(bytes("one\r\ntwo\rthree\n"), "utf-8", 0).text).toBe("one\ntwo\nthree\n");
  });

  it("falls back to windows-1252 with a warning, mapping curly quotes, dashes and the euro sign", () => {
    const decoded = decodeText(Uint8Array.from(Buffer.from("\x93Caf\xe9\x94 \x96 5 \x80", "latin1")), "utf-8", 0);
    expect(decoded).toEqual({
      text: "“Café” – 5 €",
      warning: { kind: "converted", message: "not valid UTF-8; decoded as windows-1252" },
    });
  });

  it("refuses bytes that are neither UTF-8 nor any text encoding it recognises", () => {
    const mostlyHighBytes = Uint8Array.from({ length: 200 }, (_, index) => 0xc0 + (index % 60));
    expect(() => decodeText(mostlyHighBytes, "utf-8", 0)).toThrow(UndecodableTextError);
    expect(() => decodeText(mostlyHighBytes, "utf-8", 0)).toThrow(
      "not valid UTF-8 and not in a text encoding gemindex recognises",
    );
  });

  it.each([
    // Bytes written by Python's codecs; the text is what must come back.
    [
      "EUC-JP",
      "c5ecb5fea4cec5b7b5a4a4cfc0b2a4eca4c7a4b9a1a3ccc0c6fca4cfb1aba4acb9dfa4eba4c7a4b7a4e7a4a6a1a3c4ac" +
        "a4cecbfea4c1b0faa4ada4cfc0b5b8e1a4cbbac7a4e2b9e2a4afa4caa4eaa4dea4b9a1a3b9c1a4cec5f4c2e6a4cfcbe8" +
        "c4abc5c0b8a1a4b5a4eca4dea4b9a1a30a",
      "東京の天気は晴れです。",
    ],
    [
      "GB18030",
      "b1b1bea9bdf1ccecccecc6f8c7e7c0caa1a3c3f7ccecbfc9c4dcbbe1cfc2d3eaa1a3b8dbbfdab5c4b5c6cbfec3bfccec" +
        "d4e7c9cfb6bcd2aabcecb2e9a1a3b3b1cfabd4dad6d0cee7d7eeb8dfa1a30a",
      "北京今天天气晴朗。",
    ],
    [
      "Big5",
      "a578a55fa4b5a4d1a4d1aef0b4b8aed4a143a9faa4d1a569afe0b77ca455ab42a143b4e4a466aababf4fb6f0a843a4d1" +
        "a6ada457b3a3ad6ec0cbac64a143bce9a6c1a662a4a4a4c8b3ccb0aaa1430a",
      "台北今天天氣晴朗。",
    ],
    [
      "EUC-KR",
      "bcadbfefc0c720b3afbebeb4c220b8bcbdc0b4cfb4d92e20b3bbc0cfc0ba20baf1b0a120bfc320b0cdc0d4b4cfb4d92e" +
        "20c7d7b1b8c0c720b5eeb4ebb4c220b8c5c0cf20bec6c4a720c1a1b0cbb5cbb4cfb4d92e0a",
      "서울의 날씨는 맑습니다.",
    ],
    [
      "windows-1251",
      "d1e5e3eee4edff20e220cceef1eae2e520f1eeebede5f7edee2e20c7e0e2f2f0e020e1f3e4e5f220e4eee6e4fc2e20cc" +
        "e0ffea20e220efeef0f2f320eff0eee2e5f0fffef220eae0e6e4eee520f3f2f0ee2e0a",
      "Сегодня в Москве солнечно.",
    ],
    [
      "ISO-8859-2",
      "447a697369616a2077204b72616b6f776965206a6573742073b36f6e65637a6e69652e204a7574726f2062ea647a6965" +
        "2070616461e6206465737a637a2e20aff3b3e620692067eab66cb1206a61bcf12e0a",
      "Dzisiaj w Krakowie jest słonecznie.",
    ],
  ])("detects %s and decodes it, with a warning naming it", (encoding, hex, start) => {
    const decoded = decodeText(new Uint8Array(Buffer.from(hex, "hex")), "utf-8", 0);
    expect(decoded.text.startsWith(start)).toBe(true);
    expect(decoded.warning).toEqual({ kind: "converted", message: `not valid UTF-8; decoded as ${encoding}` });
  });

  it("reads UTF-8 with a few bad bytes as UTF-8, bad bytes as U+FFFD, never as windows-1252 mojibake", () => {
    const bytes = Buffer.concat([
      Buffer.from("Café crème ", "utf8"),
      Buffer.from([0xe9]),
      Buffer.from(" brûlée", "utf8"),
    ]);
    expect(decodeText(new Uint8Array(bytes), "utf-8", 0)).toEqual({
      text: "Café crème \ufffd brûlée",
      warning: {
        kind: "incomplete",
        message: "not valid UTF-8 (1 invalid byte sequence); decoded as UTF-8 with U+FFFD replacement characters",
      },
    });
  });

  it("refuses text with a NUL past the sniffed prefix", () => {
    expect(() => decodeText(bytes(`${"a".repeat(10_000)}\u0000tail`), "utf-8", 0)).toThrow(
      "binary file (NUL character at position 10000)",
    );
  });
});
