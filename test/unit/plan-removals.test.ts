import { describe, expect, it } from "vitest";
import { planRemovals } from "../../src/indexing/plan-removals.js";
import type { DocumentRecord } from "../../src/store/types.js";

function manifestOf(source: string, names: string[]): Map<string, DocumentRecord> {
  return new Map(
    names.map((name) => [
      `${source}/${name}`,
      {
        path: `${source}/${name}`,
        source,
        hash: "h",
        size: 1,
        mtimeMs: 1,
        status: "indexed",
        chunks: 1,
        indexedAt: "",
      } satisfies DocumentRecord,
    ]),
  );
}

describe("planRemovals", () => {
  it("removes documents of a root whose files were not seen", () => {
    const manifest = manifestOf("/r", ["a", "b", "c"]);
    const plan = planRemovals(manifest, new Set(["/r/a", "/r/b"]), ["/r"], new Set(), false);
    expect(plan.paths).toEqual(["/r/c"]);
  });

  it("keeps everything of a root that could not be read unless pruning", () => {
    const manifest = manifestOf("/r", ["a", "b"]);
    const kept = planRemovals(manifest, new Set(), ["/r"], new Set(["/r"]), false);
    expect(kept.paths).toEqual([]);
    expect(kept.notices).toEqual([
      expect.objectContaining({ kind: "removals-kept", root: "/r", reason: "root-unreadable", documents: 2, gone: 2 }),
    ]);
    // The library names its option, never the CLI's flag.
    expect(kept.notices[0]!.message).toMatch(/prune removes them/);
    expect(kept.notices[0]!.message).not.toMatch(/--/);
    expect(planRemovals(manifest, new Set(), ["/r"], new Set(["/r"]), true).paths).toHaveLength(2);
  });

  it("keeps documents when more than half of a root would go, unless pruning", () => {
    const manifest = manifestOf("/r", ["a", "b", "c", "d"]);
    const plan = planRemovals(manifest, new Set(["/r/a"]), ["/r"], new Set(), false);
    expect(plan.paths).toEqual([]);
    expect(plan.notices[0]).toMatchObject({ kind: "removals-kept", reason: "most-gone", documents: 4, gone: 3 });
    expect(plan.notices[0]!.message).toMatch(/3 of 4/);
  });

  it("never touches documents of roots not in this run", () => {
    const manifest = new Map([...manifestOf("/r", ["a"]), ...manifestOf("/other", ["x"])]);
    expect(planRemovals(manifest, new Set(["/r/a"]), ["/r"], new Set(), false).paths).toEqual([]);
  });
});
