import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** A throwaway folder for discovery and loader tests. */
export interface TempTree {
  root: string;
  /** Writes a file (creating folders) and returns its absolute path. */
  write(relative: string, content: string | Uint8Array): Promise<string>;
  /** Creates a symlink at `relative` pointing to `target` (as written: relative targets stay relative). */
  link(relative: string, target: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Makes a temp folder with the given files (`"a/b.md": "text"`). */
export async function makeTempTree(files: Record<string, string | Uint8Array> = {}): Promise<TempTree> {
  const root = await mkdtemp(path.join(tmpdir(), "gemindex-ingest-"));
  const write = async (relative: string, content: string | Uint8Array) => {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    return target;
  };
  const link = async (relative: string, target: string) => {
    const at = path.join(root, relative);
    await mkdir(path.dirname(at), { recursive: true });
    await symlink(target, at);
    return at;
  };
  for (const [relative, content] of Object.entries(files)) await write(relative, content);
  return { root, write, link, cleanup: () => rm(root, { recursive: true, force: true }) };
}
