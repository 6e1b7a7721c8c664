import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { LoadError } from "../../src/errors.js";
import { ScannedPdfError } from "../../src/loaders/pdf/load-pdf.js";
import type { MediaContent } from "../../src/loaders/types.js";
import { failure, fixture, load } from "./load-helpers.js";

/** Stands in for the model: records each page image it is given and answers with fixed text. */
function reader(answer = "HARBOUR OFFICE - TIDE NOTICE\nHigh water at the north jetty: 12:04.") {
  const seen: Array<{ page: number; image: MediaContent }> = [];
  const read = async (image: MediaContent, page: number) => {
    seen.push({ page, image });
    return answer;
  };
  return { seen, read };
}

describe("loadDocument: scanned PDF pages", () => {
  it("without a reader, indexes the text pages and leaves the scanned page out with a warning", async () => {
    const document = await load(fixture("pdf/scanned.pdf"));
    expect(document.sections.map((section) => section.page)).toEqual([1]);
    expect(document.warnings).toEqual([
      {
        kind: "incomplete",
        message: "page 2 without a text layer (scanned) left out: with GEMINI_API_KEY a Gemini model reads them",
      },
    ]);
  });

  it("without a reader, a PDF made only of scans is a ScannedPdfError (skipped, not failed)", async () => {
    const error = await load(fixture("pdf/scan-only.pdf")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScannedPdfError);
    expect((error as ScannedPdfError).reason).toBe(
      "scanned PDF without a text layer: needs GEMINI_API_KEY (a Gemini model reads the pages)",
    );
  });

  it("renders a scanned page to PNG for the reader and indexes what it reads as that page", async () => {
    const { seen, read } = reader();
    const document = await load(fixture("pdf/scanned.pdf"), { readScannedPage: read });
    expect(seen.map((call) => call.page)).toEqual([2]);
    expect(seen[0]!.image.mimeType).toBe("image/png");
    // 612 × 396 points at 144 dpi, with the dark text of the scan on it.
    const metadata = await sharp(seen[0]!.image.data).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["png", 1224, 792]);
    const { channels } = await sharp(seen[0]!.image.data).stats();
    expect(channels[0]!.min).toBeLessThan(64);
    expect(document.sections).toEqual([
      { text: "Harbour report. The next page is a scanned tide notice.", page: 1 },
      { text: "HARBOUR OFFICE - TIDE NOTICE\nHigh water at the north jetty: 12:04.", page: 2 },
    ]);
    expect(document.warnings).toBeUndefined();
  });

  it("never sends a text page or a drawing without an image to the reader", async () => {
    const { seen, read } = reader();
    await load(fixture("pdf/handbook.pdf"), { readScannedPage: read });
    expect(await failure(fixture("pdf/no-text.pdf"), { readScannedPage: read })).toBe(
      "PDF has no extractable text: 1 page without a text layer or a scanned image",
    );
    expect(seen).toEqual([]);
  });

  it(`a page the reader refuses (a LoadError) is left out with its reason; if nothing is left, \
the file fails`, async () => {
    const refuse = async () => {
      throw new LoadError("x", "Gemini page transcription request failed (400 INVALID_ARGUMENT: bad image)");
    };
    const document = await load(fixture("pdf/scanned.pdf"), { readScannedPage: refuse });
    expect(document.sections.map((section) => section.page)).toEqual([1]);
    expect(document.warnings).toEqual([
      {
        kind: "incomplete",
        message: "page 2 (scanned): Gemini page transcription request failed (400 INVALID_ARGUMENT: bad image)",
      },
    ]);
    expect(await failure(fixture("pdf/scan-only.pdf"), { readScannedPage: refuse })).toBe(
      "no page could be read: page 1 (scanned): Gemini page transcription request failed (400 INVALID_ARGUMENT: " +
        "bad image)",
    );
  });

  it("any other error of the reader (a run-level fault) stops the load", async () => {
    const quota = new Error("daily quota used up");
    await expect(
      load(fixture("pdf/scanned.pdf"), {
        readScannedPage: async () => {
          throw quota;
        },
      }),
    ).rejects.toBe(quota);
  });
});
