import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** A temp folder holding a corpus and an index; removed by `cleanup()`. */
export interface Workspace {
  root: string;
  /** Where documents live (the cwd for relative paths). */
  corpus: string;
  /** Index location. */
  db: string;
  write(relative: string, content: string | Uint8Array): Promise<string>;
  copyFixture(fixture: string, relative?: string): Promise<string>;
  remove(relative: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const fixturesDir = path.resolve(import.meta.dirname, "../fixtures");

export async function makeWorkspace(prefix = "gemindex-test-"): Promise<Workspace> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  const corpus = path.join(root, "corpus");
  await mkdir(corpus, { recursive: true });
  const write = async (relative: string, content: string | Uint8Array) => {
    const target = path.join(corpus, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    return target;
  };
  return {
    root,
    corpus,
    db: path.join(root, "index"),
    write,
    async copyFixture(fixture, relative = path.basename(fixture)) {
      const target = path.join(corpus, relative);
      await mkdir(path.dirname(target), { recursive: true });
      await cp(path.join(fixturesDir, fixture), target, { recursive: true });
      return target;
    },
    async remove(relative) {
      await rm(path.join(corpus, relative), { recursive: true, force: true });
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
