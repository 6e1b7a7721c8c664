import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";

import { hashBytes, hashFile, hashText } from "../../src/sources/fingerprint.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

let tree: TempTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

describe("fingerprint", () => {
  it("hashes text as sha256 hex of its UTF-8 bytes", () => {
    expect(hashText("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashText("Grüße")).toBe(hashBytes(new TextEncoder().encode("Grüße")));
  });

  it("hashes a file by streaming it, equal to hashing its bytes", async () => {
    const big = "tide ".repeat(300_000);
    tree = await makeTempTree({ "big.txt": big });
    expect(await hashFile(`${tree.root}/big.txt`)).toBe(hashText(big));
  });

  it("refuses a FIFO at once instead of waiting for a writer (a file swapped for one after discovery)", async () => {
    tree = await makeTempTree();
    execFileSync("mkfifo", [`${tree.root}/pipe.txt`]);
    await expect(hashFile(`${tree.root}/pipe.txt`)).rejects.toThrow("not a regular file");
  });

  it("rejects for a missing file", async () => {
    tree = await makeTempTree();
    await expect(hashFile(`${tree.root}/missing.txt`)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects with the caller's abort reason", async () => {
    tree = await makeTempTree({ "a.txt": "a" });
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(hashFile(`${tree.root}/a.txt`, controller.signal)).rejects.toBe(reason);
  });
});
