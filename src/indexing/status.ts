import type { EmbeddingConfig } from "../providers/types.js";
import { metaKeys } from "../store/meta-keys.js";
import type { Store } from "../store/open-store.js";
import type { FileFailure, IndexReport } from "./types.js";

/** What `status()` reports. */
export interface IndexStatus {
  uri: string;
  /** False until the first `index()`. */
  exists: boolean;
  documents: number;
  failedDocuments: number;
  chunks: number;
  embedding: EmbeddingConfig | null;
  createdAt?: string;
  lastRun?: IndexReport;
  /** Files that failed to load, with reasons (up to 100). */
  failures: FileFailure[];
}

/** Reads the index's counts, its embedding configuration and its last run (no lock: reads never write). */
export async function readStatus(store: Store): Promise<IndexStatus> {
  const meta = await store.readMeta();
  const failures: FileFailure[] = [];
  let failed = 0;
  for await (const record of store.documents({ status: "failed" })) {
    failed++;
    if (failures.length < 100) failures.push({ path: record.path, reason: record.error ?? "failed" });
  }
  return {
    uri: store.uri,
    exists: meta !== undefined,
    documents: (await store.countDocuments()) - failed,
    failedDocuments: failed,
    chunks: await store.countChunks(),
    embedding: meta?.embedding ?? null,
    createdAt: meta?.createdAt,
    lastRun: await store.readValue<IndexReport>(metaKeys.lastRun),
    failures,
  };
}
