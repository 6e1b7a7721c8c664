import { randomBytes } from "node:crypto";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { readZipDirectory, readZipEntry, ZipFormatError } from "../../src/loaders/office/read-zip-directory.js";
import { zipEntryText } from "../../src/loaders/office/zip-entry-text.js";

/** A ZIP whose sheet unpacks to 250,000 characters but declares 1,000 (central directory and local header). */
function lyingArchive(): Uint8Array {
  const zip = zipSync({ "xl/sheet.xml": strToU8("tide ".repeat(50_000)), "a.txt": strToU8("hello") });
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const named = (at: number) => new TextDecoder().decode(zip.subarray(at, at + 12)) === "xl/sheet.xml";
  for (let at = 0; at < zip.length - 4; at++) {
    if (view.getUint32(at, true) === 0x02014b50 && named(at + 46)) view.setUint32(at + 24, 1000, true);
    if (view.getUint32(at, true) === 0x04034b50 && named(at + 30)) view.setUint32(at + 22, 1000, true);
  }
  return zip;
}

describe("the ZIP reader (fflate)", () => {
  it("never unpacks an entry past the size it declares", () => {
    const zip = lyingArchive();
    const [sheet, small] = readZipDirectory(zip);
    expect(sheet).toMatchObject({ name: "xl/sheet.xml", method: 8, uncompressedSize: 1000 });
    expect(readZipEntry(zip, sheet!)).toHaveLength(1000);
    expect(() => [...zipEntryText(zip, sheet!)]).toThrow(/xl\/sheet\.xml unpacks to more than its declared size/);
    expect([...zipEntryText(zip, small!)].join("")).toBe("hello");
  });

  it("streams a large entry in pieces", () => {
    // Hex of random bytes barely compresses: about 400 KB of the archive is fed 64 KB at a time.
    const text = randomBytes(400_000).toString("hex");
    const zip = zipSync({ "xl/sheet.xml": strToU8(text) });
    const pieces = [...zipEntryText(zip, readZipDirectory(zip)[0]!)];
    expect(pieces.length).toBeGreaterThan(4);
    expect(pieces.join("")).toBe(text);
  });

  it("says what is wrong with an archive that is not one", () => {
    expect(() => readZipDirectory(strToU8("PK but not really"))).toThrow(ZipFormatError);
  });
});
