import type { Notice } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import { defaultAnnThreshold, type Store } from "../store/open-store.js";
import { schemaVersion } from "../store/schema.js";
import { inspectWriteLock } from "../store/write-lock.js";
import { type BatchJobRecord, isActive, listBatchJobs } from "./batch-jobs.js";

/** What `doctor()` reports. */
export interface HealthReport {
  healthy: boolean;
  uri: string;
  /** Things that make the index broken or slow (kinds `health-*`), each saying what fixes it. */
  problems: Notice[];
  /** Things worth knowing that need no action now. */
  warnings: Notice[];
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
    problems.push({ kind: "health-no-index", uri: store.uri, message: `There is no index at ${store.uri}.` });
  } else {
    if (meta.schemaVersion !== schemaVersion)
      problems.push({
        kind: "health-layout-version",
        found: meta.schemaVersion,
        expected: schemaVersion,
        message: `The index has layout version ${meta.schemaVersion}; this gemindex needs ${schemaVersion}: index again with reset.`,
      });
    const fullText = fullTextFindings(report, chunks);
    problems.push(...fullText.problems);
    warnings.push(...fullText.warnings);
    if (report.vectorIndex.needed && !vector)
      problems.push({
        kind: "health-ann",
        chunks,
        unindexed: chunks,
        present: false,
        message: `${chunks} chunks and no ANN index: vector search is exact and slow. optimize() builds one.`,
      });
    else if (vector && vector.unindexed > vector.indexed * 0.2)
      warnings.push({
        kind: "health-ann",
        chunks,
        unindexed: vector.unindexed,
        present: true,
        message: `${vector.unindexed} chunks are outside the ANN index (searched exactly); the next run or optimize() rebuilds it.`,
      });
    if (fragments.small > 128)
      (fragments.small > 1024 ? problems : warnings).push({
        kind: "health-fragments",
        small: fragments.small,
        message: `The chunks table has ${fragments.small} small fragments; optimize() merges them.`,
      });
    for (const job of report.batches.active) {
      const expired = now.getTime() - Date.parse(job.createdAt) > batchLifetimeMs;
      (expired ? problems : warnings).push({
        kind: "health-batch-job",
        job: job.id,
        ...(job.batchId ? { batchId: job.batchId } : {}),
        state: job.state,
        documents: job.documents,
        expired,
        message: expired
          ? `Batch job ${job.id} (${job.batchId ?? "not submitted"}) is older than 48 hours: collect or cancel it.`
          : `Batch job ${job.id} (${job.state}) holds ${job.documents} documents: collecting writes them once it finishes.`,
      });
    }
    if (failedDocuments > 0)
      warnings.push({
        kind: "health-failed-files",
        count: failedDocuments,
        message: `${failedDocuments} files could not be indexed (status() lists them).`,
      });
  }
  if (lock) {
    const { pid, hostname, startedAt } = lock.owner;
    warnings.push({
      kind: "health-lock",
      pid,
      hostname,
      since: startedAt,
      alive: lock.alive,
      message: lock.alive
        ? `Process ${pid} on ${hostname} is writing to the index (since ${startedAt}).`
        : `A write lock was left by process ${pid}, which no longer runs; the next run takes it over.`,
    });
  }
  report.healthy = problems.length === 0;
  return report;
}

/** The full-text index: missing or below half coverage is a problem, below 90% worth knowing. */
function fullTextFindings(report: HealthReport, chunks: number): { problems: Notice[]; warnings: Notice[] } {
  const { coverage, unindexed, present } = report.fullText;
  const finding = (message: string): Notice => ({ kind: "health-full-text", present, coverage, unindexed, message });
  if (chunks > 0 && !present)
    return {
      problems: [finding("There is no full-text index, so lexical search scans every chunk: optimize() builds it.")],
      warnings: [],
    };
  if (coverage < 0.5)
    return {
      problems: [
        finding(`Only ${(coverage * 100).toFixed(0)}% of chunks are in the full-text index: optimize() rebuilds it.`),
      ],
      warnings: [],
    };
  if (coverage < 0.9)
    return {
      problems: [],
      warnings: [
        finding(
          `${unindexed} chunks are outside the full-text index (searched more slowly); the next run or optimize() folds them in.`,
        ),
      ],
    };
  return { problems: [], warnings: [] };
}
