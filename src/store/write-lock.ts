import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { isRemoteUri } from "../config/settings.js";
import { IndexLockedError } from "../errors.js";

/** Who holds an index's write lock. */
export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  purpose: string;
}

/** A held write lock; `release()` is idempotent. */
export interface WriteLock {
  readonly path?: string;
  release(): Promise<void>;
}

const lockName = ".gemindex-write.lock";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the index's write lock: a file created exclusively in the index folder, holding the
 * owner's pid. Two writers on one index would each re-embed the same documents; readers need no
 * lock (LanceDB readers always see a committed version). A lock left by a process that no longer
 * runs on this host (kill -9, power loss) is taken over. Object-store URIs get no lock: LanceDB's
 * commit protocol keeps them consistent, at the price of possible duplicate work.
 */
export async function acquireWriteLock(uri: string, purpose: string): Promise<WriteLock> {
  if (isRemoteUri(uri)) return { release: async () => {} };
  await mkdir(uri, { recursive: true });
  const file = path.join(uri, lockName);
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, JSON.stringify(owner), { flag: "wx" });
      let released = false;
      return {
        path: file,
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readOwner(file);
    if (holder && holder.hostname === owner.hostname && !processAlive(holder.pid)) {
      await rm(file, { force: true });
      continue;
    }
    if (!holder) {
      // Created but not yet written by another process, or unreadable: treat as held.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (attempt < 2) continue;
    }
    const who = holder
      ? `process ${holder.pid} on ${holder.hostname} (${holder.purpose}, since ${holder.startedAt})`
      : "another process";
    throw new IndexLockedError(
      `The index at ${uri} is being written by ${who}. Wait for it to finish; if that process is gone, delete ${file}.`,
    );
  }
  throw new IndexLockedError(`Could not take the write lock of ${uri} (${file}).`);
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, "utf8")) as LockOwner;
    return typeof owner.pid === "number" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Who holds the index's write lock, if anyone, and whether that process still runs on this host. */
export async function inspectWriteLock(uri: string): Promise<{ owner: LockOwner; alive: boolean } | undefined> {
  if (isRemoteUri(uri)) return undefined;
  const owner = await readOwner(path.join(uri, lockName));
  if (!owner) return undefined;
  return { owner, alive: owner.hostname !== hostname() || processAlive(owner.pid) };
}
