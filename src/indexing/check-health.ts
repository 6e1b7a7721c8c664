import { stat } from "node:fs/promises";
import type { Notice } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import type { LeaseState } from "../store/lease.js";
import { metaKeys } from "../store/meta-keys.js";
import { defaultAnnThreshold, type Store } from "../store/open-store.js";
import { migratableSchemaVersion, schemaVersion } from "../store/schema.js";
import { isRemoteUri } from "../store/uri.js";
import { inspectWriteLock } from "../store/write-lock.js";
import { type BatchJobRecord, isActive, listBatchJobs } from "./batch-jobs.js";
import { type IndexInspection, inspectIndex, type TableCheck } from "./inspect-index.js";
import type { IndexReport } from "./types.js";

/** What `doctor()` reports. */
export interface HealthReport {
  healthy: boolean;
  uri: string;
  /** Things that make the index broken or slow (kinds `health-*`), each saying what fixes it. */
  problems: Notice[];
  /** Things worth knowing that need no action now. */
  warnings: Notice[];
  /** Each table of the index, read whole. */
  tables: TableCheck[];
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
  /** Writers' leases on an index on object storage: held (`live`) or left by a writer that stopped. */
  leases?: Array<{ scope: string; pid: number; hostname: string; since: string; renewedAt: string; live: boolean }>;
  /** Set when the last run ended early: the index is consistent but incomplete. */
  lastRun?: { outcome: IndexReport["outcome"]; filesLeft: number; startedAt: string };
}

/** A batch job still unfinished after this long has expired at the service (48 h). */
const batchLifetimeMs = 48 * 3600 * 1000;

/**
 * Checks an index's health: every table opened and read whole (around damaged files), each
 * document's chunks against its manifest row and the embedding fingerprint, duplicates and
 * leftovers, layout version, full-text and ANN indexes a run did not finish, fragments, batch
 * jobs left behind, the write lock, failed documents. Reads only; damage is reported, never thrown.
 */
export async function checkHealth(
  store: Store,
  options: { annThreshold?: number; now?: Date; leases?: LeaseState[] } = {},
): Promise<HealthReport> {
  await store.refresh();
  const inspection = await inspectIndex(store);
  const report = await measureIndex(store, inspection, options);
  const { problems, warnings } = report;
  if (!store.exists) {
    problems.push({ kind: "health-no-index", uri: store.uri, message: `There is no index at ${store.uri}.` });
  } else {
    const writing = report.lock?.alive === true || (report.leases ?? []).some((lease) => lease.live);
    damageFindings(inspection, problems, warnings, writing);
    layoutFinding(report);
    problems.push(...(await missingRoots(store, inspection)));
    const fullText = fullTextFindings(report, report.chunks);
    problems.push(...fullText.problems);
    warnings.push(...fullText.warnings);
    upkeepFindings(report);
    batchJobFindings(report, options.now ?? new Date());
    if (report.failedDocuments > 0)
      warnings.push({
        kind: "health-failed-files",
        count: report.failedDocuments,
        message: `${report.failedDocuments} files could not be indexed (status() lists them).`,
      });
    await lastRunFinding(store, report);
  }
  writerFindings(report);
  report.healthy = problems.length === 0;
  return report;
}

/**
 * The facts of a health report, no finding yet: counts, full-text and ANN index coverage,
 * fragments, active batch jobs, the write lock and writers' leases (released ones are history).
 */
async function measureIndex(
  store: Store,
  inspection: IndexInspection,
  options: { annThreshold?: number; leases?: LeaseState[] },
): Promise<HealthReport> {
  const threshold = options.annThreshold ?? defaultAnnThreshold;
  const meta = inspection.meta;
  const chunks = inspection.chunkRows;
  const records = [...inspection.manifest.values()];
  const failedDocuments = records.filter((record) => record.status === "failed").length;
  const text = await store.textIndexStats().catch(() => undefined);
  const vector = await store.vectorIndexStats().catch(() => undefined);
  const hasVectors = inspection.vectors !== undefined;
  const fragments = await store.fragmentStats().catch(() => ({ fragments: 0, small: 0, versions: 0 }));
  const lock = await inspectWriteLock(store.uri);
  const report: HealthReport = {
    healthy: true,
    uri: store.uri,
    problems: [],
    warnings: [],
    tables: inspection.tables,
    schemaVersion: meta?.schemaVersion,
    embedding: meta?.embedding ?? null,
    documents: records.length - failedDocuments,
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
    batches: { active: meta ? (await listBatchJobs(store).catch(() => [])).filter(isActive) : [] },
    lock: lock
      ? { pid: lock.owner.pid, hostname: lock.owner.hostname, since: lock.owner.startedAt, alive: lock.alive }
      : undefined,
  };
  if (options.leases)
    report.leases = options.leases
      .filter((lease) => !lease.released)
      .map((lease) => ({
        scope: lease.scope,
        pid: lease.holder.pid,
        hostname: lease.holder.hostname,
        since: lease.holder.startedAt,
        renewedAt: new Date(lease.renewedAt).toISOString(),
        live: lease.live,
      }));
  return report;
}

/** A layout version other than this gemindex's: the next run migrates the previous one, older needs a reset. */
function layoutFinding(report: HealthReport): void {
  const found = report.schemaVersion;
  if (found === undefined || found === schemaVersion) return;
  const migratable = found === migratableSchemaVersion;
  (migratable ? report.warnings : report.problems).push({
    kind: "health-layout-version",
    found,
    expected: schemaVersion,
    migratable,
    message: migratable
      ? `The index has layout version ${found}: the next index run migrates it to ${schemaVersion} (nothing is ` +
        "embedded again)."
      : `The index has layout version ${found}; this gemindex needs ${schemaVersion}: index again with reset.`,
  });
}

/** Upkeep optimize() does: an ANN index missing or lagging behind, too many small fragments. */
function upkeepFindings(report: HealthReport): void {
  const { problems, warnings, chunks, vectorIndex, fragments } = report;
  if (vectorIndex.needed && !vectorIndex.present)
    problems.push({
      kind: "health-ann",
      chunks,
      unindexed: chunks,
      present: false,
      message: `${chunks} chunks and no ANN index: vector search is exact and slow. optimize() builds one.`,
    });
  else if (vectorIndex.present && vectorIndex.unindexed > vectorIndex.indexed * 0.2)
    warnings.push({
      kind: "health-ann",
      chunks,
      unindexed: vectorIndex.unindexed,
      present: true,
      message:
        `${vectorIndex.unindexed} chunks are outside the ANN index (searched exactly); the next run or ` +
        `optimize() rebuilds it.`,
    });
  if (fragments.small > 128)
    (fragments.small > 1024 ? problems : warnings).push({
      kind: "health-fragments",
      small: fragments.small,
      message: `The chunks table has ${fragments.small} small fragments; optimize() merges them.`,
    });
}

/** Batch jobs not collected yet: worth knowing while they may finish, a problem once expired (48 h). */
function batchJobFindings(report: HealthReport, now: Date): void {
  for (const job of report.batches.active) {
    const expired = now.getTime() - Date.parse(job.createdAt) > batchLifetimeMs;
    (expired ? report.problems : report.warnings).push({
      kind: "health-batch-job",
      job: job.id,
      ...(job.batchId ? { batchId: job.batchId } : {}),
      state: job.state,
      documents: job.documents,
      expired,
      message: expired
        ? `Batch job ${job.id} (${job.batchId ?? "not submitted"}) is older than 48 hours: collect or cancel it.`
        : `Batch job ${job.id} (${job.state}) holds ${job.documents} documents: collecting writes them once it ` +
          `finishes.`,
    });
  }
}

/** A last run that ended early: the index is consistent but incomplete until a run finishes. */
async function lastRunFinding(store: Store, report: HealthReport): Promise<void> {
  const lastRun = await store.readValue<IndexReport>(metaKeys.lastRun);
  if (!lastRun || lastRun.outcome === "completed") return;
  const filesLeft = lastRun.filesLeft ?? 0;
  report.lastRun = { outcome: lastRun.outcome, filesLeft, startedAt: lastRun.startedAt };
  report.problems.push({
    kind: "health-run-stopped",
    outcome: lastRun.outcome,
    startedAt: lastRun.startedAt,
    filesLeft,
    ...(lastRun.moreFilesLeft ? { moreFilesLeft: true } : {}),
    ...(lastRun.error ? { error: lastRun.error } : {}),
    message:
      `The last run (${lastRun.startedAt}) ${lastRun.outcome} early with ` +
      `${lastRun.moreFilesLeft ? "at least " : ""}${filesLeft} file(s) ` +
      `left${lastRun.error ? ` (${lastRun.error.message})` : ""}: index again to finish.`,
  });
}

/** Who writes: the write lock (held, or left by a process that no longer runs) and writers' leases. */
function writerFindings(report: HealthReport): void {
  const { lock, warnings } = report;
  if (lock) {
    const { pid, hostname, since, alive } = lock;
    warnings.push({
      kind: "health-lock",
      pid,
      hostname,
      since,
      alive,
      message: alive
        ? `Process ${pid} on ${hostname} is writing to the index (since ${since}).`
        : `A write lock was left by process ${pid}, which no longer runs; the next run takes it over.`,
    });
  }
  for (const lease of report.leases ?? [])
    warnings.push({
      kind: "health-lease",
      ...lease,
      message: lease.live
        ? `Process ${lease.pid} on ${lease.hostname} holds the ${lease.scope} lease (since ${lease.since}).`
        : `The ${lease.scope} lease of process ${lease.pid} on ${lease.hostname} lapsed (last renewed ` +
          `${lease.renewedAt}): that writer stopped, and the next one takes it over.`,
    });
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
          `${unindexed} chunks are outside the full-text index (searched more slowly); the next run or optimize() ` +
            `folds them in.`,
        ),
      ],
    };
  return { problems: [], warnings: [] };
}

/** Missing and unreadable tables, and documents whose chunks do not match their manifest row. */
function damageFindings(inspection: IndexInspection, problems: Notice[], warnings: Notice[], writing: boolean): void {
  const gone = new Set<string>();
  for (const table of inspection.tables) {
    if (table.state === "ok") continue;
    const unopened = table.state === "missing" || (table.rows === 0 && table.unreadableRows === 0);
    if (unopened) gone.add(table.table);
    problems.push({
      kind: "health-table",
      table: table.table,
      problem: table.state,
      ...(table.reason ? { reason: table.reason } : {}),
      unreadableRows: table.unreadableRows,
      message:
        table.state === "missing"
          ? `The ${table.table} table is missing: repairing the index rebuilds it.`
          : `The ${table.table} table cannot be read (${table.reason}): repairing the index keeps what can be read.`,
    });
  }
  // A table that is gone explains everything about its rows: no finding per document on top.
  const missing = inspection.incomplete.filter((entry) => entry.reason !== "vectors");
  if (missing.length > 0 && !gone.has("chunks")) {
    const missingChunks = missing.reduce((sum, entry) => sum + Math.max(0, entry.record.chunks - entry.found), 0);
    // A run notices missing chunks by their count; rows in damaged files still count, so only a repair sees them.
    const byNextRun = inspection.tables.find((table) => table.table === "chunks")?.state === "ok";
    problems.push({
      kind: "health-chunks-missing",
      documents: missing.length,
      missingChunks,
      examples: missing.slice(0, 5).map((entry) => entry.record.path),
      byNextRun,
      message:
        `${missing.length} documents are missing ${missingChunks} chunks: repairing the index` +
        `${byNextRun ? " (or the next index run)" : ""} re-indexes them.`,
    });
  }
  const damaged = inspection.incomplete.length - missing.length;
  if (damaged > 0)
    problems.push({
      kind: "health-vectors-damaged",
      documents: damaged,
      message: `${damaged} documents have damaged vectors: repairing the index embeds them again.`,
    });
  const stale = [...inspection.manifest.values()].filter((record) => record.status === "stale").length;
  if (stale > 0)
    problems.push({
      kind: "health-stale",
      documents: stale,
      message: `${stale} documents wait to be re-indexed: the next index run does it.`,
    });
  const chunkRows = inspection.duplicateChunkRows.length;
  const manifestRows = inspection.duplicateManifestRows.length;
  if (chunkRows > 0 || manifestRows > 0)
    problems.push({
      kind: "health-duplicates",
      chunkRows,
      documents: inspection.duplicatedDocuments,
      manifestRows,
      message:
        `${chunkRows} chunk rows and ${manifestRows} manifest rows are extra copies: repairing the index ` +
        `(or the next index run) removes them.`,
    });
  if (inspection.orphans.length > 0 && !gone.has("documents")) {
    const rows = inspection.orphans.reduce((sum, orphan) => sum + orphan.chunks, 0);
    // While a run writes, a document's chunks precede its manifest row: expected, not damage.
    (writing ? warnings : problems).push({
      kind: "health-orphans",
      rows,
      versions: inspection.orphans.length,
      writing,
      message: writing
        ? `${rows} chunk rows belong to no indexed document yet (a run is writing).`
        : `${rows} chunk rows belong to no indexed document (left by an interrupted run): repairing the index ` +
          `removes them.`,
    });
  }
  if (inspection.embeddingMismatch) {
    const index = inspection.meta?.embedding;
    const vectors = inspection.vectors;
    problems.push({
      kind: "health-embedding-mismatch",
      index: index ? { model: index.model, dimensions: index.dimensions } : null,
      chunks: vectors
        ? { dimensions: vectors.dimensions, ...(vectors.embedding ? { model: vectors.embedding.model } : {}) }
        : null,
      message:
        "The chunks' vectors were made with another embedding configuration than the index's: rebuild it (reset).",
    });
  }
}

/**
 * Roots (layout 4) whose folder or file no longer exists, with the documents under them: moved
 * (indexing the new place re-roots them), deleted or unmounted (pruning removes them). Object-store
 * roots are not checked.
 */
async function missingRoots(store: Store, inspection: IndexInspection): Promise<Notice[]> {
  const counts = new Map<string, number>();
  for (const record of inspection.manifest.values()) counts.set(record.source, (counts.get(record.source) ?? 0) + 1);
  const notices: Notice[] = [];
  for (const root of store.roots) {
    const documents = counts.get(root.path) ?? 0;
    if (documents === 0 || isRemoteUri(root.path)) continue;
    const exists = await stat(root.path).then(
      () => true,
      (error: NodeJS.ErrnoException) => error.code !== "ENOENT" && error.code !== "ENOTDIR",
    );
    if (!exists)
      notices.push({
        kind: "health-root-missing",
        root: root.path,
        documents,
        message:
          `${documents} documents were indexed from ${root.path}, which no longer exists: ` +
          "index their new place, or prune them.",
      });
  }
  return notices;
}
