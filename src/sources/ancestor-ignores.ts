import { readFile, stat } from "node:fs/promises";
import path from "node:path";

import { IgnoreStack } from "./ignore-stack.js";
import { toPosixPath } from "./to-posix-path.js";

/**
 * The ignore rules that apply to `root` from the directories above it, when `root` lies inside
 * a git working tree: git applies every `.gitignore` from the top of the repository down, so
 * indexing `repo/docs` must honour `repo/.gitignore` too. Outside a repository nothing above
 * the root applies. Unreadable ignore files above the root are passed over: they belong to a
 * folder the user did not ask to index.
 *
 * @param fileNames the ignore file names to read in each directory, outermost rules first.
 */
export async function ancestorIgnores(root: string, fileNames: readonly string[]): Promise<IgnoreStack> {
  const ancestors: string[] = [];
  let repositoryTop: string | undefined;
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    ancestors.push(dir);
    if (await exists(path.join(dir, ".git"))) {
      repositoryTop = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  // The root itself may be the top of the repository; then nothing above it applies.
  if (repositoryTop === undefined || (await exists(path.join(root, ".git")))) return IgnoreStack.empty;

  let stack = IgnoreStack.empty;
  for (const dir of ancestors.reverse()) {
    const prefix = toPosixPath(path.relative(dir, root));
    for (const name of fileNames) {
      const patterns = await readFile(path.join(dir, name), "utf8").catch(() => undefined);
      if (patterns !== undefined) stack = stack.with("", patterns, prefix);
    }
  }
  return stack;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
