import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import { PDFDocument, StandardFonts } from "pdf-lib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";

import { LoadError } from "../../src/errors.js";
import { loadDocx } from "../../src/loaders/office/load-docx.js";
import { loadXlsx } from "../../src/loaders/office/load-xlsx.js";
import { readZipDirectory } from "../../src/loaders/office/read-zip-directory.js";
import { hashFile } from "../../src/sources/fingerprint.js";
import { failure, fixture, load, useTempFiles } from "./load-helpers.js";

const MIB = 1024 * 1024;
const { temp, tree: tempTree } = useTempFiles();

describe("loadDocument: HTML", () => {
  it("keeps the main content as Markdown with headings, table and code, and drops the page around it", async () => {
    const document = await load(fixture("html/station.html"));
    expect(document.kind).toBe("html");
    expect(document.title).toBe("North Jetty Tide Station");
    expect(document.sections).toHaveLength(1);
    const [section] = document.sections;
    expect(section!.startLine).toBeUndefined();
    const text = section!.text;
    expect(text.startsWith("# North Jetty Tide Station\n\nMaintained by the harbour survey team.")).toBe(true);
    expect(text).toContain("## Readings");
    expect(text).toContain(
      "| Time | Level (m) | Note |\n| --- | --- | --- |\n| 06:00 | 2.41 | high water |\n| 09:00 | 1.12 | falling " +
        "\\| gusty |",
    );
    expect(text).toContain(
      "```python\ndef calibrate(staff, sensor):\n    offset = staff - sensor\n\n    return round(offset, 3)\n```",
    );
    expect(text).toContain("### Old equipment");
    for (const dropped of [
      "tracking pixel",
      "font-family",
      "All stations",
      "Harbour Office",
      "Internal note",
      "Hidden promotion",
      "script output",
      "tide clock",
      "newsletter",
      "Copyright",
    ]) {
      expect(text, dropped).not.toContain(dropped);
    }
  });

  it("lists local images with their heading path and tag line, and warns about a missing one", async () => {
    const document = await load(fixture("html/station.html"));
    const lines = (await readFile(fixture("html/station.html"), "utf8")).split("\n");
    expect(document.images).toEqual([
      {
        path: fixture("media/gauge.png").split(path.sep).join("/"),
        alt: "The tide curve at the north jetty",
        headings: ["North Jetty Tide Station"],
        line: 29,
      },
    ]);
    expect(lines[28]).toContain('<img src="../media/gauge.png"');
    expect(document.warnings).toEqual([
      {
        kind: "incomplete",
        message:
          `linked image not found: images/retired-gauge.png (line ` +
          `${lines.findIndex((line) => line.includes("retired-gauge.png")) + 1})`,
      },
    ]);
  });

  it("falls back to <body> without <main> or <article>, still without navigation and footer", async () => {
    const document = await load(fixture("html/no-main.html"));
    expect(document.title).toBe("Spring tides");
    expect(document.sections[0]!.text).toBe(
      "# Spring and neap tides\n\nSpring tides happen near new and full moon, when the sun and moon pull in " +
        "line.\n\n## Neap tides\n\n" +
        ("Neap tides happen at the quarter moons, when the pulls are at right angles:\n\n1. the high waters are " +
          "lower,\n2. the low waters are higher."),
    );
  });

  it("sniffs a saved page without an extension as HTML, but keeps a .txt full of tags as text", async () => {
    const html = "<!doctype html><html><title>Saved</title><body><h1>Saved page</h1><p>Body.</p></body></html>";
    expect(await load(await temp("saved-page", html))).toMatchObject({
      kind: "html",
      title: "Saved",
      sections: [{ text: "# Saved page\n\nBody." }],
    });
    expect(await load(await temp("page.txt", html))).toMatchObject({ kind: "text", sections: [{ text: html }] });
  });

  it("reports a page nested too deeply to convert", async () => {
    const depth = 1500;
    const file = await temp("deep.html", `<body>${"<div>".repeat(depth)}deep${"</div>".repeat(depth)}</body>`);
    expect(await failure(file)).toMatch(
      /^too deeply nested to convert \(HTML nested 15\d\d levels deep \(more than 1000\)\)$/,
    );
    const fine = await temp("nested.html", `<body>${"<div>".repeat(500)}deep${"</div>".repeat(500)}</body>`);
    expect((await load(fine)).sections).toEqual([{ text: "deep" }]);
  });

  it("loads a page with no text as a document with no sections", async () => {
    expect((await load(await temp("empty.html", "<html><body><script>x()</script></body></html>"))).sections).toEqual(
      [],
    );
  });
});

describe("loadDocument: Markdown image links", () => {
  it(`collects local images with alt text, heading path and line; ignores code, \
remote URLs and non-images`, async () => {
    const document = await load(fixture("linked/field-notes.md"));
    const media = (name: string) => fixture(`media/${name}`).split(path.sep).join("/");
    expect(document.images).toEqual([
      { path: media("gauge.png"), alt: "The tide curve", headings: ["Field notes", "North jetty"], line: 7 },
      { path: media("gauge.jpg"), alt: "Fish quay gauge", headings: ["Field notes", "Fish quay"], line: 13 },
      { path: media("gauge.webp"), alt: "WebP copy of the curve", headings: ["Field notes", "Fish quay"], line: 15 },
    ]);
    expect(document.warnings).toEqual([
      { kind: "incomplete", message: "linked image not found: photos/lost.png (line 25)" },
      {
        kind: "incomplete",
        message: "linked image is not a PNG, JPEG, GIF or WebP image: ../media/not-really.png (line 29)",
      },
    ]);
  });

  it(`counts lines from the file even after front matter, resolves %-escapes and angle brackets, \
lists each file once, and ignores site-root paths`, async () => {
    const tree = await tempTree({ "img/tide curve.png": await readFile(fixture("media/gauge.png")) });
    const file = await tree.write(
      "notes.md",
      "---\ntitle: Notes\n---\n\n# Notes\n\n![one](img/tide%20curve.png)\n\n![two](<img/tide " +
        "curve.png>)\n\n![pic](img/tide%20curve.png?v=2#top)\n\n![site root](/static/logo.png)\n",
    );
    const document = await load(file);
    expect(document.images).toEqual([
      {
        path: path.join(tree.root, "img/tide curve.png").split(path.sep).join("/"),
        alt: "one",
        headings: ["Notes"],
        line: 7,
      },
    ]);
    expect(document.warnings).toBeUndefined();
  });
});

describe("loadDocument: Word", () => {
  it("turns Word headings, lists and tables into Markdown with the document title", async () => {
    const document = await load(fixture("office/report.docx"));
    expect(document.kind).toBe("docx");
    expect(document.title).toBe("Harbour Survey Report");
    expect(document.sections).toHaveLength(1);
    expect(document.sections[0]!.startLine).toBeUndefined();
    const text = document.sections[0]!.text;
    expect(text).toContain("# Harbour Survey Report\n\nThis report covers the spring survey");
    expect(text).toContain("## Tide gauges");
    expect(text).toContain(
      "### Calibration\n\n- Check the staff against the benchmark.\n- Zero the pressure sensor at low water.",
    );
    expect(text).toContain("| Station | Level (m) | Checked |\n| --- | --- | --- |\n| North jetty | 2.41 | 12 March |");
    expect(document.hash).toBe(await hashFile(fixture("office/report.docx")));
  });

  it("refuses a package whose parts unpack to more than 256 MiB (a zip bomb) before inflating it", async () => {
    const bytes = new Uint8Array(await readFile(fixture("office/report.docx")));
    const entries = readZipDirectory(bytes).map((entry) =>
      entry.name === "word/document.xml" ? { ...entry, uncompressedSize: 300 * MIB } : entry,
    );
    const error = await loadDocx("/bomb.docx", bytes, entries).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoadError);
    expect((error as LoadError).reason).toMatch(/^Word document unpacks to 300\.\d MiB, above the 256 MiB limit$/);
  });

  it("loads a Word document under any name, by its ZIP entries", async () => {
    expect((await load(await temp("report-final", await readFile(fixture("office/report.docx"))))).kind).toBe("docx");
  });

  it("names each way a Word file can be broken", async () => {
    expect(await failure(fixture("office/truncated.docx"))).toBe(
      "not a valid Word document (no readable central directory (truncated or not a ZIP))",
    );
    expect(await failure(fixture("office/broken-document.docx"))).toMatch(
      /^not a valid Word document \(.*element parse error/,
    );
    expect(await failure(await temp("plain.docx", await readFile(fixture("office/archive.zip"))))).toBe(
      "not a valid Word document (ZIP without word/document.xml)",
    );
    expect(
      await failure(
        await temp(
          "junk.docx",
          Uint8Array.from({ length: 64 }, (_, index) => (index * 37) % 7),
        ),
      ),
    ).toBe("not a valid Word document (not a ZIP archive)");
    const ole = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Array(56).fill(0)]);
    expect(await failure(await temp("locked.docx", ole))).toMatch(/^encrypted or legacy-format Word document/);
    expect(await failure(await temp("empty.docx", ""))).toBe("empty file");
  });
});

describe("loadDocument: Excel", () => {
  it(`makes one section per sheet with values: sheet name, first data row, one 'Header: \
value' line per row`, async () => {
    const document = await load(fixture("office/tide-log.xlsx"));
    expect(document.kind).toBe("xlsx");
    expect(document.title).toBe("Tide Station Log");
    expect(document.sections).toEqual([
      {
        location: "Readings",
        startLine: 3,
        text: [
          "Station: North jetty | Date: 2024-03-12 | Level (m): 2.41 | Checked by: Ana",
          "Station: Fish quay | Date: 2024-03-13 | Level (m): 2.38 | Checked by: Ben | Column E: float sticks",
          "",
          "Station: Lifeboat slip (east side) | Date: 2024-03-14 | Level (m): 2.45",
        ].join("\n"),
      },
      {
        location: "Notes",
        startLine: 2,
        text: "Note: Barnacles choke the intake of the fish quay well.\nNote: Replace the float line before winter.",
      },
    ]);
    expect(document.warnings).toBeUndefined();
  });

  it("keeps at most the row, column and cell-size limits and says what it left out", async () => {
    const bytes = new Uint8Array(await readFile(fixture("office/tide-log.xlsx")));
    const document = await loadXlsx("/tide-log.xlsx", bytes, readZipDirectory(bytes), {
      maxRows: 2,
      maxColumns: 3,
      maxCellCharacters: 10,
    });
    expect(document.sections.map((section) => section.text)).toEqual([
      "Station: North jet… | Date: 2024-03-12 | Level (m): 2.41\nStation: Fish quay | Date: 2024-03-13 | Level " +
        "(m): 2.38",
    ]);
    expect(document.warnings?.map((warning) => warning.kind)).toEqual(Array(4).fill("incomplete"));
    expect(document.warnings?.map((warning) => warning.message)).toEqual([
      'sheet "Readings": 1 row left out (limit of 2 rows per workbook)',
      'sheet "Readings": columns after the first 3 left out',
      'sheet "Notes": 2 rows left out (limit of 2 rows per workbook)',
      "1 cell cut to 10 characters",
    ]);
  });

  it("names a broken workbook and an archive that is no workbook", async () => {
    expect(await failure(fixture("office/broken-sheet.xlsx"))).toMatch(/^not a valid Excel workbook \(/);
    expect(await failure(await temp("data.xlsx", await readFile(fixture("office/archive.zip"))))).toBe(
      "not a valid Excel workbook (ZIP without xl/workbook.xml)",
    );
  });
});

describe("loadDocument: archives", () => {
  it("reports a ZIP that is no Office document as an unsupported archive, whatever its name", async () => {
    expect(await failure(fixture("office/archive.zip"))).toBe("unsupported archive (ZIP)");
    expect(await failure(await temp("bundle.dat", await readFile(fixture("office/archive.zip"))))).toBe(
      "unsupported archive (ZIP)",
    );
  });
});

describe("loadDocument: images and audio", () => {
  it("loads each image and audio format as media without sections, the MIME type from the bytes", async () => {
    const expected: Array<[string, string, string]> = [
      ["media/gauge.png", "image", "image/png"],
      ["media/gauge.jpg", "image", "image/jpeg"],
      ["media/gauge.webp", "image", "image/webp"],
      ["media/tone.wav", "audio", "audio/wav"],
      ["media/tone.mp3", "audio", "audio/mpeg"],
    ];
    for (const [relative, kind, mimeType] of expected) {
      const document = await load(fixture(relative));
      expect(document, relative).toMatchObject({ kind, sections: [], media: { mimeType } });
      expect(Buffer.from(document.media!.data).equals(await readFile(fixture(relative))), relative).toBe(true);
    }
  });

  it(`converts GIF, BMP and TIFF (which Gemini does not read) to PNG: the same picture, first frame, \
with a warning`, async () => {
    const reference = await sharp(await readFile(fixture("media/gauge.png")))
      .raw()
      .toBuffer();
    for (const [relative, format] of [
      ["media/gauge.gif", "GIF"],
      ["media/gauge.bmp", "BMP"],
      ["media/gauge.tiff", "TIFF"],
    ] as const) {
      const document = await load(fixture(relative));
      expect(document, relative).toMatchObject({ kind: "image", sections: [], media: { mimeType: "image/png" } });
      expect(document.warnings![0]!.message, relative).toMatch(new RegExp(`^converted from ${format} to PNG`));
      expect(document.warnings![0]!.kind, relative).toBe("converted");
      const pixels = await sharp(document.media!.data).raw().toBuffer();
      expect(pixels.equals(reference), relative).toBe(true);
    }
  });

  it("takes the first frame of an animated GIF", async () => {
    const red = { width: 8, height: 8, channels: 3 as const, background: { r: 255, g: 0, b: 0 } };
    const blue = { ...red, background: { r: 0, g: 0, b: 255 } };
    const frames = Buffer.concat([
      await sharp({ create: red }).raw().toBuffer(),
      await sharp({ create: blue }).raw().toBuffer(),
    ]);
    const gif = await sharp(frames, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } })
      .gif()
      .toBuffer();
    const document = await load(await temp("blink.gif", gif));
    const { data, info } = await sharp(document.media!.data).raw().toBuffer({ resolveWithObject: true });
    expect(info.height).toBe(8);
    expect([data[0], data[1], data[2]]).toEqual([255, 0, 0]);
  });

  it("fails an image that cannot be decoded, naming the format", async () => {
    expect(await failure(await temp("broken.gif", "GIF89a\u0001\u0000garbage"))).toMatch(
      /^GIF image could not be converted to PNG \(/,
    );
  });

  it("goes by content, not name: a .txt holding a PNG is an image, a .png holding text is text", async () => {
    expect(await load(fixture("media/really-a-png.txt"))).toMatchObject({
      kind: "image",
      media: { mimeType: "image/png" },
    });
    const text = await load(fixture("media/not-really.png"));
    expect(text).toMatchObject({
      kind: "text",
      sections: [{ startLine: 1 }],
      warnings: [{ kind: "converted", message: "named .png but holds text" }],
    });
    expect(text.sections[0]!.text).toContain("holds plain text about tide gauges");
    expect(await load(await temp("photo.jpg", await readFile(fixture("media/gauge.png"))))).toMatchObject({
      kind: "image",
      media: { mimeType: "image/png" },
    });
  });

  it("refuses an image-named file of other binary content, and an empty one", async () => {
    expect(await failure(await temp("broken.png", Uint8Array.from([0x89, 0x50, 0x00, 0x01, 0x02, 0x03])))).toMatch(
      /^not a PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC or AVIF image/,
    );
    expect(await failure(await temp("broken.mp3", Uint8Array.from([0x00, 0x01, 0x02, 0x03])))).toMatch(
      /^not a WAV or MP3 file/,
    );
    expect(await failure(await temp("empty.png", ""))).toBe("empty file");
  });

  it("skips images and audio above their own limits, 20 MiB by default", async () => {
    const png = await readFile(fixture("media/gauge.png"));
    expect(await failure(fixture("media/gauge.png"), { maxImageBytes: 100 })).toBe(
      "image larger than the 100 bytes limit (169 bytes)",
    );
    expect(await failure(fixture("media/tone.wav"), { maxAudioBytes: 2048 })).toBe(
      "audio larger than the 2 KiB limit (3.9 KiB)",
    );
    const big = Buffer.alloc(21 * MIB);
    png.copy(big);
    expect(await failure(await temp("huge.png", big))).toBe("image larger than the 20 MiB limit (21 MiB)");
    // maxBytes applies to images as well, when it is the smaller limit.
    expect(await failure(fixture("media/gauge.png"), { maxBytes: 100 })).toBe(
      "image larger than the 100 bytes limit (169 bytes)",
    );
  });
});

describe("loadDocument: size limit and encodings", () => {
  it("applies maxBytes to every format but PDF", async () => {
    for (const relative of [
      "html/station.html",
      "office/report.docx",
      "office/tide-log.xlsx",
      "linked/field-notes.md",
    ]) {
      expect(await failure(fixture(relative), { maxBytes: 256 }), relative).toMatch(
        /^larger than the 256 bytes limit \((\d+(\.\d)? KiB|\d+ bytes)\)$/,
      );
    }
    const pdf = await load(fixture("pdf/handbook.pdf"), { maxBytes: 256 });
    expect(pdf.sections.map((section) => section.page)).toEqual([1, 2, 3, 4]);
  });

  it("reads Shift_JIS text (detected), with a warning", async () => {
    const document = await load(fixture("encodings/shift-jis.txt"));
    expect(document.sections[0]!.text).toMatch(/^潮汐表の読み方\n\n港の潮位は正午に最も高くなります。/);
    expect(document.warnings).toEqual([{ kind: "converted", message: "not valid UTF-8; decoded as Shift_JIS" }]);
  });

  it("keeps a UTF-8 file with one stray byte UTF-8: Café stays Café", async () => {
    const document = await load(fixture("encodings/utf8-one-bad-byte.md"));
    const text = document.sections.map((section) => section.text).join("\n");
    expect(text).toContain("The café opens at nine; the crème brûlée sells out by noon.");
    expect(text).toContain("\ufffd");
    expect(text).not.toContain("Ã");
    expect(document.title).toBe("Café on the pier");
    expect(document.warnings).toEqual([
      {
        kind: "incomplete",
        message: "not valid UTF-8 (1 invalid byte sequence); decoded as UTF-8 with U+FFFD replacement characters",
      },
    ]);
  });

  it("skips text it cannot decode, with a reason", async () => {
    const garbage = Uint8Array.from({ length: 200 }, (_, index) => 0xc0 + (index % 60));
    expect(await failure(await temp("garbage.txt", garbage))).toBe(
      "not valid UTF-8 and not in a text encoding gemindex recognises",
    );
    expect(await failure(await temp("garbage.html", garbage))).toBe(
      "not valid UTF-8 and not in a text encoding gemindex recognises",
    );
    // UTF-16 with a lone surrogate.
    expect(
      await failure(await temp("broken16.md", Uint8Array.from([0xff, 0xfe, 0x41, 0x00, 0x00, 0xd8, 0x41, 0x00]))),
    ).toBe("invalid UTF-16LE text");
  });
});

describe("loadDocument: large PDFs", () => {
  it("reads a PDF of 240 pages above maxBytes page by page, with modest memory growth", async () => {
    const pages = 240;
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    for (let page = 1; page <= pages; page++) {
      const sheet = pdf.addPage([595, 842]);
      sheet.drawText(`Survey page ${page}: harbour section ${page * 7}`, { x: 50, y: 800, size: 14, font });
      for (let line = 0; line < 40; line++) {
        sheet.drawText(
          `Reading ${line} on page ${page}: the gauge showed ${page * 100 + line} millimetres at the jetty.`,
          { x: 50, y: 770 - line * 16, size: 9, font },
        );
      }
    }
    const file = await temp("survey.pdf", await pdf.save());
    const size = (await stat(file)).size;

    // Load pdf.js once first, so the measurement is the document, not the library.
    await load(fixture("pdf/handbook.pdf"));
    const before = process.memoryUsage().rss;
    const document = await load(file, { maxBytes: Math.floor(size / 4) });
    const growth = process.memoryUsage().rss - before;

    expect(document.sections).toHaveLength(pages);
    for (const page of [1, 2, 120, 239, 240]) {
      const section = document.sections[page - 1]!;
      expect(section.page).toBe(page);
      expect(section.text).toContain(`Survey page ${page}: harbour section ${page * 7}`);
      expect(section.text).toContain(`the gauge showed ${page * 100 + 39} millimetres`);
    }
    // The PDF is ~0.3 MB and its text ~0.9 MB; holding every page's pdf.js state would cost far more.
    expect(growth).toBeLessThan(200 * MIB);
  });
});
