import type { EmbeddingConfig } from "../providers/types.js";
import { defaultAnnThreshold, type Store } from "../store/open-store.js";
import { schemaVersion } from "../store/schema.js";
import { inspectWriteLock } from "../store/write-lock.js";
import { type BatchJobRecord, isActive, listBatchJobs } from "./batch-jobs.js";

/** What `gemindex doctor` reports. */
export interface HealthReport {
  healthy: boolean;
  uri: string;
  /** Things that make the index broken or slow, each with what to run. */
  problems: string[];
  /** Things worth knowing that need no action now. */
  warnings: string[];
  schemaVersion?: number;
  embedding: EmbeddingConfig | null;
  documents: number;
  failedDocuments: number;
  chunks: number;
  fullText: { present: boolean; indexed: number; unindexed: number; coverage: number };
  vectorIndex: {
    present: boolean;
    type?: string;
    indexed: number;
    unindexed: number;
    threshold: number;
    needed: boolean;
  };
  fragments: { fragments: number; small: number; versions: number };
  batches: { active: BatchJobRecord[] };
  lock?: { pid: number; hostname: string; since: string; alive: boolean };
}

/** A batch job still unfinished after this long has expired at the service (48 h). */
const batchLifetimeMs = 48 * 3600 * 1000;

/**
 * Checks an index's health: layout version, full-text index coverage, ANN index presence above
 * the threshold, fragment count, batch jobs left behind, a stale write lock, failed documents.
 */
export async function checkHealth(
  store: Store,
  options: { annThreshold?: number; now?: Date } = {},
): Promise<HealthReport> {
  const threshold = options.annThreshold ?? defaultAnnThreshold;
  const now = options.now ?? new Date();
  await store.refresh();
  const meta = await store.readMeta();
  const chunks = await store.countChunks();
  const failedDocuments = await store.countDocuments("status = 'failed'");
  const text = await store.textIndexStats();
  const vector = await store.vectorIndexStats();
  const hasVectors = await store.hasVectors();
  const fragments = await store.fragmentStats();
  const lock = await inspectWriteLock(store.uri);
  const report: HealthReport = {
    healthy: true,
    uri: store.uri,
    problems: [],
    warnings: [],
    schemaVersion: meta?.schemaVersion,
    embedding: meta?.embedding ?? null,
    documents: (await store.countDocuments()) - failedDocuments,
    failedDocuments,
    chunks,
    fullText: {
      present: text !== undefined,
      indexed: text?.indexed ?? 0,
      unindexed: text?.unindexed ?? 0,
      coverage: text && chunks > 0 ? text.indexed / (text.indexed + text.unindexed) : chunks === 0 ? 1 : 0,
    },
    vectorIndex: {
      present: vector !== undefined,
      type: vector?.type,
      indexed: vector?.indexed ?? 0,
      unindexed: vector?.unindexed ?? 0,
      threshold,
      needed: hasVectors && chunks >= threshold,
    },
    fragments,
    batches: { active: meta ? (await listBatchJobs(store)).filter(isActive) : [] },
    lock: lock
      ? { pid: lock.owner.pid, hostname: lock.owner.hostname, since: lock.owner.startedAt, alive: lock.alive }
      : undefined,
  };
  const { problems, warnings } = report;
  if (!meta) {
    problems.push(`There is no index at ${store.uri}: run \`gemindex index <paths>\`.`);
  } else {
    if (meta.schemaVersion !== schemaVersion)
      problems.push(
        `The index has layout version ${meta.schemaVersion}; this gemindex needs ${schemaVersion}: re-index with \`gemindex index --reset <paths>\`.`,
      );
    if (chunks > 0 && !report.fullText.present)
      problems.push("There is no full-text index, so lexical search scans every chunk: run `gemindex optimize`.");
    else if (report.fullText.coverage < 0.5)
      problems.push(
        `Only ${(report.fullText.coverage * 100).toFixed(0)}% of chunks are in the full-text index: run \`gemindex optimize\`.`,
      );
    else if (report.fullText.coverage < 0.9)
      warnings.push(
        `${report.fullText.unindexed} chunks are outside the full-text index (searched more slowly); the next run or \`gemindex optimize\` folds them in.`,
      );
    if (report.vectorIndex.needed && !vector)
      problems.push(`${chunks} chunks and no ANN index: vector search is exact and slow. Run \`gemindex optimize\`.`);
    else if (vector && vector.unindexed > vector.indexed * 0.2)
      warnings.push(
        `${vector.unindexed} chunks are outside the ANN index (searched exactly); the next run or \`gemindex optimize\` rebuilds it.`,
      );
    if (fragments.small > 1024)
      problems.push(`The chunks table has ${fragments.small} small fragments: run \`gemindex optimize\`.`);
    else if (fragments.small > 128)
      warnings.push(`The chunks table has ${fragments.small} small fragments; \`gemindex optimize\` merges them.`);
    for (const job of report.batches.active) {
      if (now.getTime() - Date.parse(job.createdAt) > batchLifetimeMs)
        problems.push(
          `Batch job ${job.id} (${job.batchId ?? "not submitted"}) is older than 48 hours: run \`gemindex batch collect\` or \`gemindex batch cancel ${job.id}\`.`,
        );
      else
        warnings.push(
          `Batch job ${job.id} (${job.state}) holds ${job.documents} documents: \`gemindex batch collect\` writes them once it finishes.`,
        );
    }
    if (failedDocuments > 0) warnings.push(`${failedDocuments} files could not be indexed (see \`gemindex status\`).`);
  }
  if (lock && !lock.alive)
    warnings.push(
      `A write lock was left by process ${lock.owner.pid}, which no longer runs; the next run takes it over.`,
    );
  else if (lock)
    warnings.push(
      `Process ${lock.owner.pid} on ${lock.owner.hostname} is writing to the index (since ${lock.owner.startedAt}).`,
    );
  report.healthy = problems.length === 0;
  return report;
}
