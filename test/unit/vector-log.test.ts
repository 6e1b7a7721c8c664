import { appendFile, readFile, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmbeddingConfig } from "../../src/providers/types.js";
import { VectorLog, vectorLogName } from "../../src/store/vector-log.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

const embedding: EmbeddingConfig = {
  provider: "gemini",
  model: "gemini-embedding-001",
  dimensions: 4,
  document: { kind: "plain" },
  query: { kind: "plain" },
};

const vector = (seed: number) => Float32Array.from([seed, seed + 0.5, -seed, 1 / (seed + 1)]);

let tree: TempTree;
beforeEach(async () => {
  tree = await makeTempTree();
});
afterEach(async () => {
  await tree.cleanup();
});

const file = () => path.join(tree.root, vectorLogName);

describe("VectorLog", () => {
  it("gives back after a reopen every vector appended, as written, and knows they came from before", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    await Promise.all([
      log.append([
        { key: "a", vector: vector(1) },
        { key: "b", vector: vector(2) },
      ]),
      log.append([{ key: "ç-key", vector: vector(3) }]),
    ]);
    expect(log.inherited("a")).toBe(false);
    await log.close();

    const again = await VectorLog.open(tree.root, embedding);
    expect(again.size).toBe(3);
    const found = await again.read(["a", "ç-key", "missing"]);
    expect([...found.keys()].sort()).toEqual(["a", "ç-key"]);
    expect(found.get("a")).toEqual(vector(1));
    expect(found.get("ç-key")).toEqual(vector(3));
    expect(again.inherited("a")).toBe(true);
    await again.close();
  });

  it("drops a frame cut short by a crash, and what follows it, keeping every whole frame before", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    await log.append([{ key: "whole", vector: vector(1) }]);
    await log.append([{ key: "torn", vector: vector(2) }]);
    await log.close();
    const size = (await stat(file())).size;
    // The last frame loses its last bytes (a write the crash interrupted).
    await truncate(file(), size - 3);

    const again = await VectorLog.open(tree.root, embedding);
    expect(again.has("whole")).toBe(true);
    expect(again.has("torn")).toBe(false);
    // Appends continue after the last whole frame.
    await again.append([{ key: "next", vector: vector(4) }]);
    await again.close();
    const third = await VectorLog.open(tree.root, embedding);
    expect((await third.read(["whole", "next"])).get("next")).toEqual(vector(4));
    await third.close();
  });

  it("drops a frame whose bytes were damaged (the checksum fails)", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    await log.append([{ key: "first", vector: vector(1) }]);
    await log.append([{ key: "second", vector: vector(2) }]);
    await log.close();
    const bytes = await readFile(file());
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    await writeFile(file(), bytes);
    const again = await VectorLog.open(tree.root, embedding);
    expect(again.has("first")).toBe(true);
    expect(again.has("second")).toBe(false);
    await again.close();
  });

  it("never reads a log written for another embedding configuration", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    await log.append([{ key: "a", vector: vector(1) }]);
    await log.close();
    const other = await VectorLog.open(tree.root, { ...embedding, model: "gemini-embedding-2-preview" });
    expect(other.size).toBe(0);
    await other.close();
  });

  it("ignores garbage after the header and starts afresh on a file that is not a log", async () => {
    await writeFile(file(), "not a vector log\n");
    const log = await VectorLog.open(tree.root, embedding);
    expect(log.size).toBe(0);
    await log.append([{ key: "a", vector: vector(1) }]);
    await log.close();
    await appendFile(file(), "garbage");
    const again = await VectorLog.open(tree.root, embedding);
    expect(again.size).toBe(1);
    await again.close();
  });

  it("compaction keeps only what is asked for, and removes the file when nothing is", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    await log.append(["a", "b", "c"].map((key, index) => ({ key, vector: vector(index) })));
    await log.compact((key) => key !== "b");
    const kept = await VectorLog.open(tree.root, embedding);
    expect([...(await kept.read(["a", "b", "c"])).keys()].sort()).toEqual(["a", "c"]);
    expect((await kept.read(["c"])).get("c")).toEqual(vector(2));
    await kept.compact(() => false);
    await expect(stat(file())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a vector of the wrong size instead of writing it", async () => {
    const log = await VectorLog.open(tree.root, embedding);
    expect(() => log.append([{ key: "a", vector: new Float32Array(3) }])).toThrow(/3 dimensions/);
    await log.close();
  });
});
