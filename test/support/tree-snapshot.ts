import { readdir, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Every file and folder under `root` with its size and modification time, sorted: two snapshots
 * are equal when nothing was created, removed or written (tests run as root too, where a
 * read-only mode stops nothing, so comparing the tree is what proves a command wrote nothing).
 */
export async function snapshotTree(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (folder: string) => {
    let entries: string[];
    try {
      entries = await readdir(folder);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const full = path.join(folder, name);
      const info = await stat(full);
      lines.push(`${path.relative(root, full)} ${info.isDirectory() ? "dir" : info.size} ${info.mtimeMs}`);
      if (info.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return lines;
}
