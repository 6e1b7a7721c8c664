import { describe, expect, it } from "vitest";
import { metaKeys, metaPrefixes } from "../../src/store/meta-keys.js";

describe("metaKeys", () => {
  it("keeps every family apart: no prefix starts another, and no fixed key starts with a prefix", () => {
    const prefixes = Object.values(metaPrefixes);
    for (const prefix of prefixes)
      for (const other of prefixes) if (other !== prefix) expect(other.startsWith(prefix)).toBe(false);
    for (const key of [metaKeys.index, metaKeys.lastRun])
      expect(prefixes.some((prefix) => key.startsWith(prefix))).toBe(false);
  });

  it("builds each family's keys under its prefix", () => {
    expect(metaKeys.run("2026-01-01T00:00:00.000Z", "docs")).toBe("run:2026-01-01T00:00:00.000Z:docs");
    expect(metaKeys.batchJob("job-1").startsWith(metaPrefixes.batchJob)).toBe(true);
    expect(metaKeys.answerCache("k").startsWith(metaPrefixes.answerCache)).toBe(true);
    expect(metaKeys.answerCacheMinimum("m").startsWith(metaPrefixes.answerCacheMinimum)).toBe(true);
    expect(metaKeys.description("image", "m", "h").startsWith(metaPrefixes.description)).toBe(true);
  });
});
