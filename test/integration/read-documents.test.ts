import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type GemIndex, openIndex } from "../../src/index.js";
import { writeMixedCorpus } from "../support/corpus.js";
import { makeWorkspace, type Workspace } from "../support/workspace.js";

// Offline (no key): reading and listing need no model.
let workspace: Workspace;
let index: GemIndex;

beforeAll(async () => {
  workspace = await makeWorkspace();
  await writeMixedCorpus(workspace);
  await workspace.write("changing.md", "# Changing\n\nThe first version says alpha.\n");
  await workspace.write("gone.md", "# Gone\n\nThis file will be deleted after indexing.\n");
  await workspace.write("broken.pdf", "%PDF-1.4 this is not really a PDF");
  index = await openIndex({ uri: workspace.db, cwd: workspace.corpus });
  await index.index(["."]);
  await workspace.write("changing.md", "# Changing\n\nThe second version says beta.\n");
  await workspace.remove("gone.md");
});
afterAll(async () => {
  await index.close();
  await workspace.cleanup();
});

describe("GemIndex.read()", () => {
  it("reads a whole document from its file when it still matches the index", async () => {
    const document = await index.read("src/backoff.ts");
    expect(document).toMatchObject({ displayPath: "src/backoff.ts", kind: "code", citation: "src/backoff.ts" });
    expect(document.from).toBe("file");
    expect(document.text).toContain("export function backoff(attempt: number): number {");
    expect(document.lines).toBe(4);
    expect(document.truncated).toBe(false);
  });

  it("reads a line range, or a page, cited the way search cites them", async () => {
    const lines = await index.read("guide.md", { lines: { start: 7, end: 9 } });
    expect(lines.citation).toBe("guide.md:L7-L9");
    expect(lines.text).toBe(
      "## Key rotation\n\nRotate the signing keys every ninety days with the keyctl rotate command on the primary " +
        "node.",
    );
    const page = await index.read("manual.pdf", { page: 2 });
    expect(page).toMatchObject({ citation: "manual.pdf:p2", page: 2, pages: 3 });
    expect(page.text).toContain("Glacier ice moves downhill");
  });

  it("takes a citation as the reference", async () => {
    expect((await index.read("manual.pdf:p3")).text).toContain("Seismographs");
    expect((await index.read("guide.md:L7")).text).toBe("## Key rotation");
    expect((await index.read(`${workspace.corpus}/guide.md:L9-L9`)).citation).toBe("guide.md:L9");
  });

  it("whole PDFs come page by page", async () => {
    const document = await index.read("manual.pdf");
    expect(document.text).toMatch(/^\[page 1\]\n.*Volcano[\s\S]*\[page 2\]\n[\s\S]*\[page 3\]\n/);
  });

  it("shows the indexed text when the file changed or is gone, and says so", async () => {
    const changed = await index.read("changing.md");
    expect(changed.from).toBe("index");
    expect(changed.text).toContain("alpha");
    expect(changed.text).not.toContain("beta");
    expect(changed.notices).toEqual(["The file changed since it was indexed: showing the text as indexed."]);
    const gone = await index.read("gone.md");
    expect(gone.text).toContain("deleted after indexing");
    expect(gone.notices).toEqual(["The file cannot be read any more: showing the text as indexed."]);
  });

  it("cuts long text at a line boundary and says how to read on", async () => {
    const document = await index.read("guide.md", { maxChars: 60 });
    expect(document.truncated).toBe(true);
    expect(document.text).toBe("# Operations guide\n\n## Backups\n");
    expect(document.notices[0]).toMatch(/^Only the first 60 characters are shown/);
  });

  it("refuses documents that are not in the index, failed, or have no such part", async () => {
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: Error) => error,
      );
    const outside = await refusal(index.read("../../etc/passwd"));
    expect(outside).toBeInstanceOf(ConfigError);
    expect((outside as Error).message).toMatch(/^\.\.\/\.\.\/etc\/passwd is not in the index/);
    expect(((await refusal(index.read("broken.pdf"))) as Error).message).toMatch(/^broken\.pdf could not be indexed: /);
    expect(((await refusal(index.read("manual.pdf", { page: 9 }))) as Error).message).toBe(
      "manual.pdf has no page 9 (it has 3).",
    );
    expect(((await refusal(index.read("guide.md", { lines: { start: 50, end: 60 } }))) as Error).message).toBe(
      "guide.md has no lines 50-60 (it has 13).",
    );
    expect(((await refusal(index.read("manual.pdf", { lines: { start: 1, end: 2 } }))) as Error).message).toBe(
      "manual.pdf has no line numbers (pdf); read it whole.",
    );
  });
});

describe("GemIndex.documents()", () => {
  it("lists indexed documents by path, a page at a time, without failed ones", async () => {
    const first = await index.documents({ limit: 3 });
    expect(first.documents.map((document) => document.displayPath)).toEqual(["changing.md", "gone.md", "guide.md"]);
    expect(first.nextCursor).toBeDefined();
    const second = await index.documents({ limit: 3, cursor: first.nextCursor });
    expect(second.documents.map((document) => document.displayPath)).toEqual([
      "manual.pdf",
      "notes/garden.md",
      "src/backoff.ts",
    ]);
    expect(second.nextCursor).toBeUndefined();
    expect(second.documents[0]).toMatchObject({ kind: "pdf", chunks: 3 });
  });
});
