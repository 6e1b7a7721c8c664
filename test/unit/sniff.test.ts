import { describe, expect, it } from "vitest";

import { decodeText, UndecodableTextError } from "../../src/loaders/decode-text.js";
import { sniff } from "../../src/loaders/sniff.js";

const bytes = (text: string, encoding: BufferEncoding = "utf8") => new Uint8Array(Buffer.from(text, encoding));

describe("sniff", () => {
  it("recognises a PDF by its magic bytes", () => {
    expect(sniff(bytes("%PDF-1.7\n..."))).toEqual({ type: "pdf" });
  });

  it("keeps text that merely mentions %PDF- as text", () => {
    expect(sniff(bytes("A PDF file starts with %PDF- and a version.")).type).toBe("text");
  });

  it("calls content with a NUL byte binary", () => {
    expect(sniff(Uint8Array.from([0x48, 0x69, 0x00, 0x21]))).toEqual({ type: "binary", evidence: "NUL byte at offset 2" });
  });

  it("calls content with many control characters binary, but tolerates tabs, form feeds and ANSI colours", () => {
    expect(sniff(Uint8Array.from([0x01, 0x02, 0x03, 0x41, 0x42, 0x43, 0x44, 0x45])).type).toBe("binary");
    expect(sniff(bytes("\u001b[31merror\u001b[0m\tcolumn\f\r\n")).type).toBe("text");
  });

  it("reads byte-order marks", () => {
    expect(sniff(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ type: "text", encoding: "utf-8", bomLength: 3 });
    expect(sniff(Uint8Array.from([0xff, 0xfe, 0x41, 0x00]))).toEqual({ type: "text", encoding: "utf-16le", bomLength: 2 });
    expect(sniff(Uint8Array.from([0xfe, 0xff, 0x00, 0x41]))).toEqual({ type: "text", encoding: "utf-16be", bomLength: 2 });
  });

  it("recognises UTF-16 without a byte-order mark instead of calling it binary", () => {
    expect(sniff(bytes("Plain notes, written by a Windows tool.", "utf16le"))).toEqual({ type: "text", encoding: "utf-16le", bomLength: 0 });
    expect(sniff(new Uint8Array(Buffer.from("Big-endian notes here.", "utf16le").swap16()))).toEqual({ type: "text", encoding: "utf-16be", bomLength: 0 });
  });
});

describe("decodeText", () => {
  it("normalises CRLF and lone CR line ends to LF", () => {
    expect(decodeText(bytes("one\r\ntwo\rthree\n"), "utf-8", 0).text).toBe("one\ntwo\nthree\n");
  });

  it("falls back to windows-1252 with a warning, mapping curly quotes, dashes and the euro sign", () => {
    const decoded = decodeText(Uint8Array.from(Buffer.from("\x93Caf\xe9\x94 \x96 5 \x80", "latin1")), "utf-8", 0);
    expect(decoded).toEqual({ text: "“Café” – 5 €", warning: "not valid UTF-8; decoded as windows-1252" });
  });

  it("refuses bytes that are neither UTF-8 nor plausible windows-1252", () => {
    const mostlyHighBytes = Uint8Array.from({ length: 200 }, (_, index) => 0xc0 + (index % 60));
    expect(() => decodeText(mostlyHighBytes, "utf-8", 0)).toThrow(UndecodableTextError);
    expect(() => decodeText(mostlyHighBytes, "utf-8", 0)).toThrow("not valid UTF-8 and not recognisable as windows-1252 text");
  });

  it("refuses text with a NUL past the sniffed prefix", () => {
    expect(() => decodeText(bytes(`${"a".repeat(10_000)}\u0000tail`), "utf-8", 0)).toThrow("binary file (NUL character at position 10000)");
  });
});
