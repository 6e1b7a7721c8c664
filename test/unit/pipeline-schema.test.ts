import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkPipeline, pipelineJsonSchema } from "../../src/jobs/pipeline-schema.js";

describe("the pipeline schema", () => {
  it("is what pipelines/schema.json holds (regenerate it with `npm run schema`)", async () => {
    const committed = JSON.parse(
      await readFile(path.resolve(import.meta.dirname, "../../pipelines/schema.json"), "utf8"),
    );
    expect(committed).toEqual(pipelineJsonSchema());
  });

  it("names the field and the fix for each problem, and fills in no defaults", () => {
    const base = { name: "docs", sources: [{ root: "docs" }], index: "index" };
    expect(checkPipeline(base)).toEqual({ definition: base });
    expect(
      checkPipeline({ ...base, name: "-x", chunking: { maxTokens: 64, overlapTokens: 40 }, limits: { rpm: 0 } }),
    ).toEqual({
      problems: [
        'name: must use only letters, digits, ".", "_" and "-" (and start with a letter or digit)',
        "chunking.overlapTokens: must be less than half of chunking.maxTokens — lower it or raise maxTokens",
        "limits.rpm: must be at least 1",
      ],
    });
    expect(checkPipeline({ ...base, sources: [], embedding: { dimensions: 12.5 } })).toEqual({
      problems: ["sources: give at least 1", "embedding.dimensions: must be an integer"],
    });
  });
});
