import { stat } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect } from "vitest";
import { LoadError } from "../../src/errors.js";
import { loadDocument } from "../../src/loaders/load-document.js";
import type { SourceFile } from "../../src/sources/types.js";
import { makeTempTree, type TempTree } from "./make-temp-tree.js";

/** Shared by the loader tests: fixtures, loading a path, and temporary files cleaned up after each test. */
export const fixtures = path.resolve(import.meta.dirname, "../fixtures");
export const fixture = (relative: string) => path.join(fixtures, relative);

export async function sourceFile(filePath: string): Promise<SourceFile> {
  const stats = await stat(filePath).catch(() => ({ size: 0, mtimeMs: 0 }));
  return {
    path: filePath,
    source: path.dirname(filePath),
    relativePath: path.basename(filePath),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
  };
}

export const load = async (filePath: string, options?: Parameters<typeof loadDocument>[1]) =>
  loadDocument(await sourceFile(filePath), options);

/** The reason a load fails with; fails the test when it does not fail with a LoadError. */
export async function failure(filePath: string, options?: Parameters<typeof loadDocument>[1]): Promise<string> {
  const error = await load(filePath, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LoadError);
  expect((error as LoadError).path).toBe(filePath);
  return (error as LoadError).reason;
}

/** Temporary trees for one test file, removed after each test. */
export function useTempFiles() {
  let tree: TempTree | undefined;
  afterEach(async () => {
    await tree?.cleanup();
    tree = undefined;
  });
  return {
    /** Writes one file into this test's temporary tree and returns its path. */
    async temp(name: string, content: string | Uint8Array): Promise<string> {
      tree ??= await makeTempTree();
      return tree.write(name, content);
    },
    /** A fresh temporary tree with these files. */
    async tree(files?: Parameters<typeof makeTempTree>[0]): Promise<TempTree> {
      await tree?.cleanup();
      tree = await makeTempTree(files);
      return tree;
    },
  };
}
