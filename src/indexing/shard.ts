import { createHash } from "node:crypto";
import { ConfigError } from "../errors.js";

/** One of `count` workers that split an index's documents between them (`index` is 0-based). */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * The shard a document belongs to: the first 32 bits of the SHA-256 of its path, modulo the
 * number of shards. Stable across machines and runs, so every worker agrees on who owns what
 * (as long as they see the files at the same paths) and a re-run finds its own documents again.
 */
export function shardOf(documentPath: string, count: number): number {
  return createHash("sha256").update(documentPath).digest().readUInt32BE(0) % count;
}

/** A predicate for the documents `shard` owns. */
export function ownedBy(shard: ShardSpec): (documentPath: string) => boolean {
  return (documentPath) => shardOf(documentPath, shard.count) === shard.index;
}

/** Reads `i/n` (0-based `i`, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX). */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const shard = match ? { index: Number(match[1]), count: Number(match[2]) } : undefined;
  if (!shard) throw invalidShard(text);
  checkShard(shard, text);
  return shard;
}

/** Throws INVALID_OPTION unless 0 ≤ index < count. */
export function checkShard(shard: ShardSpec, given = `${shard.index}/${shard.count}`): void {
  if (
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count) ||
    shard.count < 1 ||
    shard.index < 0 ||
    shard.index >= shard.count
  )
    throw invalidShard(given);
}

function invalidShard(given: string): ConfigError {
  return new ConfigError(
    "shard must be i/n with 0 ≤ i < n (the worker's 0-based number, then the number of workers), " +
      `got ${JSON.stringify(given)}.`,
    { code: "INVALID_OPTION", data: { option: "shard", expected: "i/n with 0 ≤ i < n", got: given } },
  );
}
