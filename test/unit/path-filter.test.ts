import { describe, expect, it } from "vitest";
import { filterToWhere, globToRegex } from "../../src/retrieval/filter.js";

const matches = (glob: string, path: string) => new RegExp(globToRegex(glob, "/work/project")).test(path);

describe("globToRegex", () => {
  it("matches a bare file pattern at any depth", () => {
    expect(matches("*.pdf", "/work/project/papers/a.pdf")).toBe(true);
    expect(matches("*.pdf", "/work/project/a.md")).toBe(false);
  });

  it("anchors relative patterns at the working directory; * stays in one segment, ** spans", () => {
    expect(matches("docs/*.md", "/work/project/docs/a.md")).toBe(true);
    expect(matches("docs/*.md", "/work/project/docs/sub/a.md")).toBe(false);
    expect(matches("docs/**", "/work/project/docs/sub/a.md")).toBe(true);
    expect(matches("docs/**/*.md", "/work/project/docs/a.md")).toBe(true);
    expect(matches("docs/**", "/elsewhere/docs/a.md")).toBe(false);
  });

  it("supports braces and escapes regex characters", () => {
    expect(matches("*.{md,txt}", "/x/notes.txt")).toBe(true);
    expect(matches("a+b.md", "/x/a+b.md")).toBe(true);
    expect(matches("a+b.md", "/x/aab.md")).toBe(false);
  });
});

describe("filterToWhere", () => {
  it("combines kinds, sources and paths with AND, quoting values", () => {
    const where = filterToWhere({ kinds: ["pdf", "it's"], sources: ["docs"], paths: ["*.pdf"] }, "/w");
    expect(where).toContain("kind IN ('pdf', 'it''s')");
    expect(where).toContain("source IN ('/w/docs')");
    expect(where).toContain("regexp_like(path,");
    expect(filterToWhere({}, "/w")).toBeUndefined();
  });
});
