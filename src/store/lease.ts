import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { IndexLockedError } from "../errors.js";
import { ConditionalObjects } from "./s3-objects.js";
import { processAlive } from "./write-lock.js";

/**
 * What a writer of an index on object storage holds. `index`: the whole index (an unsharded run,
 * a repair, batch collection); `shard`: the documents of one shard (`gemindex index --shard
 * i/n`); `maintenance`: the shared upkeep no two workers should race (creating the tables,
 * full-text and ANN indexes, compaction).
 */
export type LeaseScope = { kind: "index" } | { kind: "shard"; index: number; count: number } | { kind: "maintenance" };

/** Who holds a lease, as recorded in it. */
export interface LeaseHolder {
  pid: number;
  hostname: string;
  purpose: string;
  startedAt: string;
  /** How long after its last renewal the lease lapses, in ms (the holder's setting). */
  ttlMs: number;
  nonce: string;
}

/** A lease as found in the store (see {@link listLeases}). */
export interface LeaseState {
  scope: string;
  holder: LeaseHolder;
  /** When the holder last renewed it (ms since the epoch, by the holder's clock). */
  renewedAt: number;
  released: boolean;
  /** Held now: not released, renewed within its TTL, and (on this host) its process still runs. */
  live: boolean;
}

/** A lease this process holds. */
export interface Lease {
  readonly scope: string;
  /** Aborted when the lease was lost (another writer took it over after it lapsed). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** Named in the lease for whoever finds it held, e.g. "gemindex index". */
  purpose: string;
  storageOptions?: Record<string, string>;
  /** A lease not renewed for this long lapses and may be taken over. @default 60000 */
  ttlMs?: number;
  /** The clock leases are judged and renewed by (tests move it). @default Date.now */
  now?: () => number;
  /** Keep trying this long when the lease is held (ms); 0 fails at once. @default 0 */
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Default lease lifetime after the last renewal; renewed every quarter of it. */
export const defaultLeaseTtlMs = 60_000;
const leaseFolder = "_leases";

/** True when writers of `uri` can hold leases: S3 and S3-compatible stores (conditional writes). */
export function leasesSupported(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

/** The lease's name in the store: `index`, `shard-2-of-4`, `maintenance`. */
export function scopeName(scope: LeaseScope): string {
  return scope.kind === "shard" ? `shard-${scope.index}-of-${scope.count}` : scope.kind;
}

/** Two leases that cannot be held at once: the same one, the whole index and anything, or two shardings. */
function conflicting(a: string, b: string): boolean {
  if (a === b || a === "index" || b === "index") return true;
  const count = (name: string) => /^shard-\d+-of-(\d+)$/.exec(name)?.[1];
  return count(a) !== undefined && count(b) !== undefined && count(a) !== count(b);
}

/**
 * Takes a lease on an index on S3: the local lock file cannot guard an index other machines write.
 * A lease is one small object `<index>/_leases/<scope>.json` naming its holder, written only with
 * conditional writes: created if absent (`If-None-Match: *`), or replaced if still the version
 * read (`If-Match`), so of two writers racing for it exactly one wins. The holder renews it every
 * quarter of its TTL (each renewal conditional on its own last version: a renewal that fails means
 * another writer took it over, and the holder stops, `lost`) and marks it released at the end. A
 * lease not renewed within its TTL, or whose process is gone from this host, lapses and is taken
 * over. After taking its lease a writer looks once more for conflicting leases taken meanwhile and
 * backs off if it finds one, so two conflicting writers never both proceed. Throws
 * IndexLockedError (code LOCKED) naming the holder when the lease, or a conflicting one, is held.
 */
export async function acquireLease(uri: string, scope: LeaseScope, options: LeaseOptions): Promise<Lease> {
  const leases = new LeaseStore(uri, options);
  const name = scopeName(scope);
  const deadline = leases.now() + (options.waitMs ?? 0);
  try {
    for (let attempt = 0; ; attempt++) {
      const taken = await leases.tryTake(name);
      if (taken.lease) return taken.lease;
      // Lost a race for a lapsed or free lease: look again at once, the winner is known now.
      if (!taken.blocker) continue;
      if (leases.now() >= deadline || attempt >= 1000) throw lockedError(uri, name, taken.blocker);
      // Waiters poll often: the set-up they wait for takes about a second.
      await (options.sleep ?? defaultSleep)(attempt < 20 ? 250 : 1000);
    }
  } catch (error) {
    leases.close();
    throw error;
  }
}

/** The lease of every scope of the index, for status and doctor. */
export async function listLeases(
  uri: string,
  options: Pick<LeaseOptions, "storageOptions" | "now">,
): Promise<LeaseState[]> {
  const leases = new LeaseStore(uri, { purpose: "inspect", ...options });
  try {
    return [...(await leases.all()).values()].map((entry) => entry.state);
  } finally {
    leases.close();
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function lockedError(uri: string, scope: string, blocker: LeaseState): IndexLockedError {
  const { holder } = blocker;
  const who =
    `process ${holder.pid} on ${holder.hostname} (${holder.purpose}, since ${holder.startedAt}` +
    `${blocker.scope === scope ? "" : `, holding ${blocker.scope}`})`;
  return new IndexLockedError(
    `The index at ${uri} is being written by ${who}. If that process is gone, its lease lapses ` +
      `${Math.ceil(holder.ttlMs / 1000)} s after its last renewal and the next writer takes it over.`,
    { data: { uri, scope, holder: { ...holder, scope: blocker.scope } } },
  );
}

type Entry = { state: LeaseState; etag: string };

/** The `_leases` folder of one index. */
class LeaseStore {
  readonly #options: LeaseOptions;
  readonly #objects: ConditionalObjects;

  constructor(uri: string, options: LeaseOptions) {
    this.#options = options;
    this.#objects = new ConditionalObjects(uri, leaseFolder, options.storageOptions);
  }

  now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** Every lease object, read now. */
  async all(): Promise<Map<string, Entry>> {
    const found = new Map<string, Entry>();
    for (const key of await this.#objects.list()) {
      if (!key.endsWith(".json")) continue;
      const scope = key.slice(0, -".json".length);
      const entry = await this.read(scope);
      if (entry) found.set(scope, entry);
    }
    return found;
  }

  async read(scope: string): Promise<Entry | undefined> {
    const object = await this.#objects.get(`${scope}.json`);
    if (!object) return undefined;
    let record: { holder: LeaseHolder; renewedAt: number; released: boolean };
    try {
      record = JSON.parse(object.body);
    } catch {
      return undefined;
    }
    const { holder, renewedAt, released } = record;
    const gone = holder.hostname === hostname() && !processAlive(holder.pid);
    const live = !released && !gone && this.now() - renewedAt < holder.ttlMs;
    return { state: { scope, holder, renewedAt, released, live }, etag: object.etag };
  }

  /**
   * One attempt: the lease in the way when this one or a conflicting one is held; nothing when
   * another writer won the race for it; else the new lease.
   */
  async tryTake(scope: string): Promise<{ lease?: Lease; blocker?: LeaseState }> {
    const before = await this.all();
    const blocker = [...before.values()].find(({ state }) => state.live && conflicting(state.scope, scope));
    if (blocker) return { blocker: blocker.state };
    const holder: LeaseHolder = {
      pid: process.pid,
      hostname: hostname(),
      purpose: this.#options.purpose,
      startedAt: new Date(this.now()).toISOString(),
      ttlMs: this.#options.ttlMs ?? defaultLeaseTtlMs,
      nonce: randomUUID(),
    };
    const previous = before.get(scope);
    const etag = previous
      ? await this.#objects.replace(`${scope}.json`, this.#body(holder, false), previous.etag)
      : await this.#objects.create(`${scope}.json`, this.#body(holder, false));
    if (etag === undefined) return {};
    // Conflicting leases taken while this one was: whoever sees the other backs off.
    const conflict = [...(await this.all()).values()].find(
      ({ state }) => state.live && state.scope !== scope && conflicting(state.scope, scope),
    );
    if (conflict) {
      await this.#objects.replace(`${scope}.json`, this.#body(holder, true), etag).catch(() => undefined);
      return { blocker: conflict.state };
    }
    return { lease: new HeldLease(this, scope, holder, etag) };
  }

  #body(holder: LeaseHolder, released: boolean): string {
    return JSON.stringify({ holder, renewedAt: this.now(), released });
  }

  /** Writes a renewal (or the release); the new ETag, or undefined when another writer replaced the lease. */
  async renew(scope: string, holder: LeaseHolder, etag: string, released = false): Promise<string | undefined> {
    return this.#objects.replace(`${scope}.json`, this.#body(holder, released), etag);
  }

  close(): void {
    this.#objects.close();
  }
}

/** A lease this process holds: renewed in the background until released or lost. */
class HeldLease implements Lease {
  readonly scope: string;
  readonly #store: LeaseStore;
  readonly #holder: LeaseHolder;
  readonly #lost = new AbortController();
  #etag: string;
  #timer?: NodeJS.Timeout;
  #renewal?: Promise<void>;
  #renewedAt: number;
  #released = false;

  constructor(store: LeaseStore, scope: string, holder: LeaseHolder, etag: string) {
    this.#store = store;
    this.scope = scope;
    this.#holder = holder;
    this.#etag = etag;
    this.#renewedAt = store.now();
    this.#schedule();
  }

  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#renewal = this.#renew().finally(() => {
        this.#renewal = undefined;
        if (!this.#released && !this.#lost.signal.aborted) this.#schedule();
      });
    }, this.#holder.ttlMs / 4);
    // A lease never keeps a process alive by itself.
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    try {
      const etag = await this.#store.renew(this.scope, this.#holder, this.#etag);
      if (etag === undefined) {
        this.#lose("another writer took it over after it lapsed");
        return;
      }
      this.#etag = etag;
      this.#renewedAt = this.#store.now();
    } catch {
      // The store did not answer: held as long as the last renewal is within the TTL.
      if (this.#store.now() - this.#renewedAt >= this.#holder.ttlMs)
        this.#lose("it could not be renewed within its lifetime");
    }
  }

  #lose(reason: string): void {
    this.#lost.abort(
      new IndexLockedError(`The write lease ${this.scope} was lost: ${reason}. Finished work is committed.`, {
        data: { scope: this.scope, lost: true },
      }),
    );
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    await this.#renewal?.catch(() => {});
    try {
      if (!this.#lost.signal.aborted) await this.#store.renew(this.scope, this.#holder, this.#etag, true);
    } catch {
      // Not recorded (the store did not answer): the lease lapses after its TTL instead.
    } finally {
      this.#store.close();
    }
  }
}
