import { readFile } from "node:fs/promises";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { isSupportedPath } from "../../src/loaders/detect/file-types.js";
import { hashFile } from "../../src/sources/fingerprint.js";
import { failure, fixture, load, useTempFiles } from "./load-helpers.js";

const { temp, tree: tempTree } = useTempFiles();

describe("loadDocument: Markdown", () => {
  it("drops front matter, keeps file line numbers, and takes the first H1 as title", async () => {
    const document = await load(fixture("corpus/guide.md"));
    expect(document.kind).toBe("markdown");
    expect(document.title).toBe("Tidewater Station Guide");
    expect(document.sections).toHaveLength(1);
    const [section] = document.sections;
    expect(section!.text).not.toContain("tags: [guide");
    const fileLines = (await readFile(fixture("corpus/guide.md"), "utf8")).split("\n");
    expect(section!.text.split("\n")[0]).toBe(fileLines[section!.startLine! - 1]);
    expect(section!.startLine).toBe(5);
  });

  it("ignores a # line inside a code fence when looking for the title", async () => {
    const file = await temp("fenced.md", "```sh\n# install\n```\n\n# Real title\n");
    expect((await load(file)).title).toBe("Real title");
  });

  it("takes a setext H1 as title, else the front matter title", async () => {
    expect((await load(fixture("corpus/reference.md"))).title).toBe("Command reference");
    const file = await temp("untitled.md", '---\ntitle: "From front matter"\n---\n\n## Only a subsection\n');
    expect((await load(file)).title).toBe("From front matter");
  });

  it("skips a UTF-8 byte-order mark and Windows line ends", async () => {
    const document = await load(fixture("encodings/utf8-bom.md"));
    expect(document.title).toBe("BOM title");
    expect(document.sections[0]!.text).toBe("# BOM title\n\nWindows line ends.\n");
  });
});

describe("loadDocument: text and code", () => {
  it("loads plain text as one section from line 1 with the file's hash", async () => {
    const filePath = fixture("corpus/notes.txt");
    const document = await load(filePath);
    expect(document).toMatchObject({ kind: "text", sections: [{ startLine: 1 }] });
    expect(document.sections[0]!.text).toBe(await readFile(filePath, "utf8"));
    expect(document.hash).toBe(await hashFile(filePath));
  });

  it("loads source code with its language", async () => {
    expect(await load(fixture("corpus/src/tide-table.ts"))).toMatchObject({ kind: "code", language: "typescript" });
    expect(await load(fixture("corpus/scripts/summarise.py"))).toMatchObject({ kind: "code", language: "python" });
    expect(await load(await temp("Dockerfile", "FROM node:20\n"))).toMatchObject({
      kind: "code",
      language: "dockerfile",
    });
  });

  it("loads an empty or blank file as a document with no sections", async () => {
    expect((await load(await temp("empty.md", ""))).sections).toEqual([]);
    expect((await load(await temp("blank.txt", " \n\n\t\n"))).sections).toEqual([]);
  });

  it("sniffs files with no or an unknown extension: text loads as text", async () => {
    expect(await load(await temp("README", "Read me first.\n"))).toMatchObject({
      kind: "text",
      sections: [{ text: "Read me first.\n" }],
    });
    expect(await load(await temp("server.conf", "port = 8080\n"))).toMatchObject({ kind: "text" });
  });

  it("decodes windows-1252 text with a warning", async () => {
    const document = await load(fixture("encodings/windows-1252.txt"));
    expect(document.sections[0]!.text).toBe(
      "Café notes – déjà vu\n“Grüße aus München,” she wrote; the naïve résumé cost 12 €.\nLine three ends the file.\n",
    );
    expect(document.warnings).toEqual([{ kind: "converted", message: "not valid UTF-8; decoded as windows-1252" }]);
  });

  it("decodes UTF-16 LE and BE files with a byte-order mark", async () => {
    const expected = "Unicode notes\nGrüße aus Köln — 東京 and 🌊 tides.\nThird line.\n";
    expect((await load(fixture("encodings/utf16le-bom.txt"))).sections[0]!.text).toBe(expected);
    expect((await load(fixture("encodings/utf16be-bom.txt"))).sections[0]!.text).toBe(expected);
  });
});

describe("loadDocument: PDF", () => {
  it("makes one section per page, numbered from 1, with the metadata title", async () => {
    const document = await load(fixture("pdf/handbook.pdf"));
    expect(document.kind).toBe("pdf");
    expect(document.title).toBe("Field Notes Handbook");
    expect(document.sections.map((section) => section.page)).toEqual([1, 2, 3, 4]);
    expect(document.sections[0]!.text).toContain("photovoltaic panel");
    expect(document.sections[1]!.text).toContain("sourdough starter");
    expect(document.sections[2]!.text).toContain("hermit crabs");
    expect(document.sections[3]!.text).toContain("castle early");
    expect(document.sections[1]!.text).not.toContain("photovoltaic");
  });

  it("hashes the original bytes even though pdf.js consumes its input", async () => {
    const document = await load(fixture("pdf/handbook.pdf"));
    expect(document.hash).toBe(await hashFile(fixture("pdf/handbook.pdf")));
  });

  it("loads PDF content under any name", async () => {
    const copy = await temp("handbook-export", await readFile(fixture("pdf/handbook.pdf")));
    expect((await load(copy)).kind).toBe("pdf");
  });

  it("names each way a PDF can fail", async () => {
    expect(await failure(fixture("pdf/empty.pdf"))).toBe("empty PDF");
    expect(await failure(fixture("pdf/corrupt.pdf"))).toBe("not a valid PDF (Invalid PDF structure.)");
    expect(await failure(fixture("pdf/encrypted.pdf"))).toBe("encrypted PDF (password required)");
    expect(await failure(fixture("pdf/no-text.pdf"))).toBe(
      "PDF has no extractable text: 1 page without a text layer or a scanned image",
    );
    expect(await failure(await temp("fake.pdf", "just some text"))).toBe("not a valid PDF (no %PDF- header)");
  });
});

describe("loadDocument: failures", () => {
  it("reports a missing file", async () => {
    const tree = await tempTree();
    expect(await failure(path.join(tree.root, "gone.md"))).toBe("file not found");
  });

  it("reports a folder given as a file", async () => {
    const tree = await tempTree({ "dir/a.md": "a" });
    expect(await failure(path.join(tree.root, "dir"))).toBe("is a directory");
  });

  it("refuses files above the size limit before reading them", async () => {
    const file = await temp("big.txt", "x".repeat(3 * 1024 * 1024));
    expect(await failure(file, { maxBytes: 2 * 1024 * 1024 })).toBe("larger than the 2 MiB limit (3 MiB)");
  });

  it("refuses binary content", async () => {
    expect(await failure(fixture("binary/random.bin"))).toMatch(/^binary file \(NUL byte at offset \d+\)$/);
    expect(await failure(fixture("binary/blob"))).toMatch(/^binary file/);
    expect(await failure(await temp("notes.txt", Uint8Array.from([0x54, 0x00, 0x01, 0x02])))).toMatch(/^binary file/);
  });

  it("names formats it cannot read", async () => {
    expect(await failure(await temp("icon.svg", "<svg/>"))).toBe("unsupported file type (.svg)");
    expect(await failure(await temp("old.doc", "x"))).toBe("unsupported file type (.doc)");
  });

  it("rejects with the caller's abort reason, unwrapped", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(load(fixture("corpus/notes.txt"), { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe("isSupportedPath", () => {
  it(`accepts readable formats, extension-less files and unknown extensions (sniffed), \
and passes over the rest`, () => {
    const accepted = [
      "a.md",
      "b.MDX",
      "c.txt",
      "d.pdf",
      "e.ts",
      "f.py",
      "LICENSE",
      "Makefile",
      "g.yaml",
      "h.bin",
      "notes.xyz",
    ];
    const formats = [
      "page.html",
      "page.HTM",
      "page.xhtml",
      "report.docx",
      "budget.xlsx",
      "a.png",
      "b.JPG",
      "c.jpeg",
      "d.gif",
      "e.webp",
      "f.wav",
      "g.mp3",
      "scan.bmp",
      "scan.tif",
      "scan.TIFF",
      "photo.heic",
      "photo.heif",
      "photo.avif",
    ];
    for (const name of [...accepted, ...formats]) {
      expect(isSupportedPath(`/docs/${name}`), name).toBe(true);
    }
    for (const rejected of ["b.svg", "c.zip", "d.lock", "e.woff2", "f.tar.gz", "g.mp4", "h.flac", "i.doc", "j.xls"]) {
      expect(isSupportedPath(`/docs/${rejected}`), rejected).toBe(false);
    }
  });
});
