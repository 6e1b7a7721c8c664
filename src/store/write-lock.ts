import { randomUUID } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError, IndexLockedError } from "../errors.js";
import { notAFolder } from "./connect.js";
import { isRemoteUri } from "./uri.js";

/** Who holds an index's write lock. */
export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  purpose: string;
  /** Unique per lock taken: tells two locks of one process apart (absent in locks of older versions). */
  nonce?: string;
}

/** A held write lock; `release()` is idempotent. */
export interface WriteLock {
  readonly path?: string;
  release(): Promise<void>;
}

const lockName = ".gemindex-write.lock";

/** True when process `pid` runs on this host (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the index's write lock: a file in the index folder naming its owner. Two writers on one
 * index would each re-embed the same documents and write every chunk twice; readers need no lock
 * (LanceDB readers always see a committed version). Object-store URIs get no lock: LanceDB's
 * commit protocol keeps them consistent, at the price of possible duplicate work (which the next
 * run removes).
 *
 * The file is created whole and atomically (written under a private name, then hard-linked into
 * place, which fails when the lock exists). A lock left by a process that no longer runs on this
 * host (kill -9, power loss) is taken over; see {@link removeStale} for why two writers that find
 * the same stale lock at once cannot both win.
 */
export async function acquireWriteLock(uri: string, purpose: string): Promise<WriteLock> {
  if (isRemoteUri(uri)) return { release: async () => {} };
  await ensureFolder(uri);
  const file = path.join(uri, lockName);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    purpose,
    nonce: randomUUID(),
  };
  const content = JSON.stringify(owner);
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await createExclusive(file, content, uri)) return heldLock(file, content);
    const holder = await readLock(file);
    if (holder === undefined) continue; // released meanwhile
    if (holder.owner && holder.owner.hostname === owner.hostname && !processAlive(holder.owner.pid)) {
      // Contenders that lost the takeover back off a little while the winner finishes.
      if (!(await removeStale(file, holder.raw, uri))) await sleep(Math.min(1 + attempt, 10));
      continue;
    }
    // An unreadable lock (a writer of an older version between creating and writing it): wait a little.
    if (!holder.owner && attempt < 3) {
      await sleep(50);
      continue;
    }
    const who = holder.owner
      ? `process ${holder.owner.pid} on ${holder.owner.hostname} (${holder.owner.purpose}, since ` +
        `${holder.owner.startedAt})`
      : "another process";
    throw new IndexLockedError(
      `The index at ${uri} is being written by ${who}. Wait for it to finish; if that process is gone, delete ${file}.`,
    );
  }
  throw new IndexLockedError(`Could not take the write lock of ${uri} (${file}): other writers kept taking it.`);
}

/**
 * Removes the lock file `file` if it still holds exactly `stale` (whose owner is dead). Only the
 * one process that creates the claim file `<file>.takeover-<id of stale>` may remove it, and it
 * re-reads the lock first: a lock is unique (a nonce), so once removed it never comes back, and
 * a late contender holding the claim finds another lock (or none) and leaves it alone. A claim
 * left by a process that died holding it is stale in turn and taken over the same way. Returns
 * false when another process holds the claim.
 */
async function removeStale(file: string, stale: string, uri: string, depth = 0): Promise<boolean> {
  const claim = `${file}.takeover-${lockId(stale)}`;
  const mine = JSON.stringify({
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    purpose: "takeover",
    nonce: randomUUID(),
  } satisfies LockOwner);
  if (!(await createExclusive(claim, mine, uri))) {
    const other = await readLock(claim);
    // Another process is taking this lock over right now: the caller looks again.
    if (!other?.owner || processAlive(other.owner.pid) || depth >= 3) return false;
    await removeStale(claim, other.raw, uri, depth + 1);
    return false;
  }
  try {
    if ((await readLock(file))?.raw === stale) await unlinkQuietly(file);
    return true;
  } finally {
    await unlinkQuietly(claim);
  }
}

/** A short stable name for a lock's content (its nonce, or a digest for locks of older versions). */
function lockId(raw: string): string {
  try {
    const nonce = (JSON.parse(raw) as LockOwner).nonce;
    if (typeof nonce === "string" && /^[\w-]+$/.test(nonce)) return nonce;
  } catch {
    // Not JSON: fall through to the digest.
  }
  let hash = 0x811c9dc5;
  for (let i = 0; i < raw.length; i++) hash = Math.imul(hash ^ raw.charCodeAt(i), 0x01000193) >>> 0;
  return `legacy-${hash.toString(16)}`;
}

/** Creates `file` holding `content` in one step; false when it exists. */
async function createExclusive(file: string, content: string, uri: string): Promise<boolean> {
  const scratch = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(scratch, content, { flag: "wx" });
    try {
      await link(scratch, file);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      // File systems without hard links: an exclusive create (a reader may briefly see it empty).
      if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EOPNOTSUPP") {
        await writeFile(file, content, { flag: "wx" });
        return true;
      }
      throw error;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw lockFolderError(error, uri);
  } finally {
    await unlinkQuietly(scratch);
  }
}

/** Locks this process holds (file → content), for {@link releaseWriteLocksSync}. */
const held = new Map<string, string>();

/**
 * Removes every write lock this process holds, synchronously: for a process about to end at
 * once (a second Ctrl-C) without running the `release()` of the work it abandons. Only locks
 * whose file still holds our content are removed. Safe to call at any time; never throws.
 */
export function releaseWriteLocksSync(): void {
  for (const [file, content] of held) {
    try {
      if (readFileSync(file, "utf8") === content) unlinkSync(file);
    } catch {
      // Gone already, or unreadable: nothing of ours to remove.
    }
  }
  held.clear();
}

function heldLock(file: string, content: string): WriteLock {
  let released = false;
  held.set(file, content);
  return {
    path: file,
    async release() {
      if (released) return;
      released = true;
      held.delete(file);
      // Only our own lock: never one another process took over meanwhile.
      if ((await readLock(file))?.raw === content) await unlinkQuietly(file);
    },
  };
}

async function ensureFolder(uri: string): Promise<void> {
  try {
    await mkdir(uri, { recursive: true });
  } catch (error) {
    throw lockFolderError(error, uri);
  }
  const info = await stat(uri);
  if (!info.isDirectory()) throw notAFolder(uri);
}

/** Turns a file-system refusal into a configuration error that says what is wrong. */
function lockFolderError(error: unknown, uri: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new ConfigError(
      `The index folder ${uri} is not writable ` +
        `(${code === "EROFS" ? "read-only file system" : "permission denied"}): ` +
        "indexing needs write access to it; queries work without.",
      { cause: error },
    );
  if (code === "ENOTDIR" || code === "EEXIST") return notAFolder(uri);
  return error;
}

async function unlinkQuietly(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

/** The lock file's content (raw, and parsed when it names an owner); undefined when there is none. */
async function readLock(file: string): Promise<{ raw: string; owner?: LockOwner } | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(raw) as LockOwner;
    return typeof owner.pid === "number" ? { raw, owner } : { raw };
  } catch {
    return { raw };
  }
}

/** Who holds the index's write lock, if anyone, and whether that process still runs on this host. */
export async function inspectWriteLock(uri: string): Promise<{ owner: LockOwner; alive: boolean } | undefined> {
  if (isRemoteUri(uri)) return undefined;
  const owner = (await readLock(path.join(uri, lockName)).catch(() => undefined))?.owner;
  if (!owner) return undefined;
  return { owner, alive: owner.hostname !== hostname() || processAlive(owner.pid) };
}
