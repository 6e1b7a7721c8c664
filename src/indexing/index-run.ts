import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AdaptiveConcurrency } from "../embedding/adaptive-concurrency.js";
import { type EmbedItem, type EmbedResultItem, embedChunks } from "../embedding/embed-chunks.js";
import { DistinctEmbeddings } from "../embedding/embed-distinct.js";
import { QuotaPlan } from "../embedding/quota-plan.js";
import { type QuotaLimits, resolveQuotaLimits } from "../embedding/quota-tiers.js";
import { ConfigError, IndexDamagedError, IndexLockedError, needsApiKeyError, toErrorInfo } from "../errors.js";
import type { Notice } from "../notices.js";
import type { SkippedEntry } from "../sources/types.js";
import { metaKeys } from "../store/meta-keys.js";
import type { DocumentRecord } from "../store/types.js";
import { isRemoteUri } from "../store/uri.js";
import { VectorLog } from "../store/vector-log.js";
import {
  type BatchSection,
  collectBeforeRun,
  defaultBatchThreshold,
  emptyBatchSection,
  hasActiveBatchJobs,
  routeThroughBatch,
} from "./batch-routing.js";
import { budgetGuard } from "./budget-guard.js";
import { reconcileChunks } from "./inspect-index.js";
import { KnownVectors } from "./known-vectors.js";
import { DocumentWriter, type PendingDocument, type WriteEntry } from "./pending-document.js";
import { planRemovals } from "./plan-removals.js";
import { DEFAULT_PART_CHUNKS, type Prepared, prepareDocuments } from "./prepare-documents.js";
import { prepareIndex } from "./prepare-index.js";
import { repairIndex } from "./repair-index.js";
import { rerootMovedRoots } from "./reroot.js";
import { type IndexContext, type IndexRunResult, normalizeRoot } from "./run-context.js";
import { emptyScan, type ScanResult, type SourceSpec, scanWork, sourceSpec, type WorkItem } from "./scan-sources.js";
import { checkShard, ownedBy } from "./shard.js";
import { recordSourceRules } from "./source-rules.js";
import type { FileFailure, FileWarning, IndexOptions, IndexProgress, IndexReport, IndexSource } from "./types.js";

/**
 * Plain text, code and Markdown files above this size are read and chunked a window at a time
 * (LoadOptions.streamTextAbove); below it a whole load peaks at about 20× the file's size.
 */
const STREAM_TEXT_ABOVE = 4 * 1024 * 1024;

/** Everything a run counts, in one record: progress snapshots and the report both read it. */
interface RunCounters {
  files: IndexReport["files"];
  chunks: IndexReport["chunks"];
  requests: number;
  tokens: number;
  /** Whether discovery walked every source (a run that ended early may not have). */
  discovered: boolean;
  /** Files discovery yielded so far (progress while scanning; `files.seen` is the final count). */
  filesSeen: number;
  /** Files that need (re)indexing, known so far. */
  filesToIndex: number;
  /** Files (re)indexed and committed. */
  filesIndexed: number;
  /** Chunks in answered requests (`chunks.embedded` counts them once written back). */
  chunksEmbedded: number;
  /** Files that cannot be indexed in this configuration, by reason. */
  skippedReasons: Map<string, number>;
  /** Unchanged files that failed in an earlier run and were not tried again. */
  unchangedFailed: number;
  /** Files discovery found that belong to other shards (a sharded run). */
  otherShards: number;
}

/** The scan's result, with what the run read before it. */
interface Scan extends ScanResult {
  /**
   * The files to (re)index, as discovery finds them: indexing starts with the first, and the
   * tree is never held as a list. The counts of `ScanResult` are complete once it has ended.
   */
  stream: AsyncIterable<WorkItem>;
  /** The manifest before the run: path → row. */
  manifest: Map<string, DocumentRecord>;
  /** Documents parked in Batch API jobs still running. */
  waiting: Map<string, { job: string; hash: string }>;
}

/** What the index already holds for the run's work. */
interface Plan {
  /** Vectors paid for (reused, not embedded again): the index's and the vector log's; undefined for a lexical index. */
  known?: KnownVectors;
  /** Paths with chunks in the index: other documents are appended rather than merged. */
  pathsWithChunks: Set<string>;
  /** Fills the two sets from the index, once, when the first file needs indexing (a no-op run reads nothing). */
  load: () => Promise<void>;
}

type EmbedTag = { document: PendingDocument; index: number };

/**
 * One incremental run over a set of roots, in named phases: scan (collect finished Batch API jobs,
 * discover files, skip those whose size and mtime match the manifest), plan (what the index
 * already holds), load (hash, load and chunk the rest, reusing vectors of chunks embedded before),
 * embed (the other chunks in batched requests, or through one Batch API job), commit (documents in
 * groups — chunks first, manifest last — then removals and maintenance) and report. A bad file is a
 * line in the report; a provider failure or an abort stops the run with finished work committed.
 */
export class IndexRun {
  readonly #context: IndexContext;
  readonly #options: IndexOptions;
  readonly #sources: SourceSpec[];
  readonly #startedAt = new Date();
  readonly #counters: RunCounters = {
    files: { seen: 0, new: 0, changed: 0, unchanged: 0, removed: 0, failed: 0, skipped: 0 },
    chunks: { written: 0, embedded: 0, reused: 0 },
    requests: 0,
    tokens: 0,
    discovered: false,
    filesSeen: 0,
    filesToIndex: 0,
    filesIndexed: 0,
    chunksEmbedded: 0,
    skippedReasons: new Map(),
    unchangedFailed: 0,
    otherShards: 0,
  };
  readonly #failures: FileFailure[] = [];
  readonly #warnings: FileWarning[] = [];
  readonly #notices: Notice[] = [];
  readonly #passedOver: SkippedEntry[] = [];
  /** Identical chunk text within the run is embedded once (copies of a file cost one input). */
  #distinct!: DistinctEmbeddings<EmbedTag>;
  #batch?: BatchSection;
  #phase: IndexProgress["phase"] = "scanning";
  #waiting?: IndexProgress["waiting"];
  /** The per-minute limits the run starts with (flags, a tier preset). */
  #quota: QuotaLimits = {};
  /** Where each vector is made durable as it arrives (see #openLog). */
  #log?: VectorLog;
  #started = false;
  /** The error that ended the run early (the abort reason when aborted). */
  #error: unknown;

  /** Only these documents are (re)indexed, and nothing is removed (a repair's run); undefined: all. */
  readonly #only?: ReadonlySet<string>;
  /** Whether the run built or rebuilt indexes (maintain). */
  #maintained = false;
  /** The documents this run owns (a sharded run); undefined: all. */
  readonly #owns?: (documentPath: string) => boolean;

  constructor(
    roots: Array<string | IndexSource>,
    context: IndexContext,
    options: IndexOptions = {},
    scope: { only?: ReadonlySet<string> } = {},
  ) {
    this.#context = context;
    this.#options = options;
    this.#only = scope.only;
    if (options.shard) {
      checkShard(options.shard);
      this.#owns = ownedBy(options.shard);
    }
    this.#sources = roots
      .map((root) => sourceSpec(root, context.cwd))
      .map((source) => excludeIndexFolder(source, context.store.uri, context.cwd));
  }

  /**
   * Runs every phase. Throws only before starting (a configuration the run cannot honour, an
   * index built with another embedding); later failures come back as `error`, with the work
   * finished before them committed.
   */
  async run(): Promise<IndexRunResult> {
    if (this.#started) throw new Error("An IndexRun runs once.");
    this.#started = true;
    const { embedder, batch } = this.#context;
    if (this.#options.batch === "always" && !(embedder && batch)) {
      throw embedder
        ? new ConfigError(
            `batch "always" needs Gemini's native Batch API, which the service at this base URL does not offer.`,
            { code: "NO_BATCH_API", data: { option: "batch", value: "always" } },
          )
        : needsApiKeyError("batch", `batch "always" needs an API key.`, { option: "batch" });
    }
    if (this.#options.shard && this.#options.reset)
      throw new ConfigError("reset rebuilds the whole index: run it once without shard, then start the shards.", {
        code: "CONFLICTING_OPTIONS",
        data: { options: ["reset", "shard"], reason: "reset removes every shard's documents" },
      });
    this.#quota = resolveQuotaLimits(this.#options);
    await this.#prepare();
    this.#log = await this.#openLog();
    const unsubscribe = this.#context.onRetry?.((event) => {
      this.#wait({
        cause: event.status === 429 ? "rate-limited" : "retrying",
        delayMs: event.delayMs,
        resumeAt: new Date(event.resumeAt).toISOString(),
        message: event.reason,
      });
    });
    let plan: Plan | undefined;
    try {
      const scan = await this.#scan();
      plan = this.#plan();
      const writer = this.#writer(plan);
      try {
        await this.#embed(this.#load(scan, plan, writer), writer);
      } catch (error) {
        this.#fail(error);
      }
      await this.#commit(writer, scan);
    } catch (error) {
      this.#fail(error);
    } finally {
      unsubscribe?.();
      await this.#closeLog(plan);
    }
    return this.#report();
  }

  /**
   * The vector log of an index with embeddings (see VectorLog): what an interrupted run paid for,
   * and where this run makes each vector durable as it arrives. A local index keeps it in its
   * folder, one on object storage in the context's local log folder; without one a notice says a
   * crash re-pays what was not committed.
   */
  async #openLog(): Promise<VectorLog | undefined> {
    const { store, logFolder } = this.#context;
    const embedding = this.#embedding;
    if (!embedding || !this.#context.embedder) return undefined;
    const folder = isRemoteUri(store.uri) ? logFolder : store.uri;
    if (!folder) {
      this.#logProblem("unavailable", "the index is not a local folder and no cache folder is set");
      return undefined;
    }
    try {
      if (folder !== store.uri) await mkdir(folder, { recursive: true });
      return await VectorLog.open(folder, embedding);
    } catch (error) {
      this.#logProblem("failed", (error as Error).message);
      return undefined;
    }
  }

  /**
   * Closes the vector log: after a run without error everything in it is committed, so it goes;
   * otherwise only what is still uncommitted is kept for the next run.
   */
  async #closeLog(plan: Plan | undefined): Promise<void> {
    const recovered = plan?.known?.recovered ?? 0;
    if (recovered > 0)
      this.#notices.push({
        kind: "vectors-recovered",
        count: recovered,
        message:
          `${recovered} vectors paid for by an interrupted run were taken from the vector log, ` +
          "not embedded again.",
      });
    const log = this.#log;
    if (!log) return;
    this.#log = undefined;
    const committed = plan?.known?.indexed;
    try {
      await log.compact(this.#error === undefined ? () => false : (key) => committed?.has(key) !== true);
    } catch (error) {
      this.#logProblem("failed", (error as Error).message);
    }
  }

  #logProblem(problem: "unavailable" | "failed", reason: string): void {
    if (this.#notices.some((notice) => notice.kind === "vector-log")) return;
    this.#notices.push({
      kind: "vector-log",
      problem,
      reason,
      message:
        problem === "unavailable"
          ? `Vectors are not logged as they arrive (${reason}): a crash re-pays those not yet committed.`
          : `The vector log could not be written (${reason}): a crash re-pays vectors not yet committed.`,
    });
  }

  get #embedding() {
    return this.#context.embedder?.config ?? null;
  }

  /**
   * Heals and creates the tables as needed and checks the index's configuration. Sharded workers
   * start together on an index that may not exist yet: creating (or healing) it is shared upkeep,
   * done by the one worker holding the maintenance lease while the others wait for it.
   */
  async #prepare(): Promise<void> {
    const { store, shared } = this.#context;
    const { reset, shard } = this.#options;
    const setUp = async () => {
      if (!reset) await this.#heal();
      this.#notices.push(...(await prepareIndex(store, this.#embedding, { reset, sharded: shard !== undefined })));
      // A root the index knows under another path (moved, re-mounted) is found before the diff.
      this.#notices.push(
        ...(await rerootMovedRoots(
          store,
          this.#sources.map((source) => source.root),
          this.#options.signal,
        )),
      );
    };
    if (!shared || (store.exists && store.damage.length === 0)) return setUp();
    await shared(async () => {
      await store.refresh();
      await setUp();
    });
    await store.refresh();
  }

  /**
   * Heal: tables whose folders are gone are made again before anything is read (the manifest is
   * rebuilt from the chunks, the settings from the vectors' fingerprint; documents that lost their
   * chunks are marked stale, so this run indexes them again). A table that exists but cannot be
   * read is not touched: that is for an explicit repair, which keeps what can be read.
   */
  async #heal(): Promise<void> {
    const { store } = this.#context;
    await store.finishInterruptedRebuilds();
    const damage = store.damage;
    if (damage.length === 0) return;
    if (damage.some((entry) => entry.problem === "unreadable")) throw new IndexDamagedError(store.uri, damage);
    const repaired = await repairIndex(store, this.#embedding);
    const tables = repaired.actions
      .filter((action) => action.code === "table-recreated")
      .map((action) => String(action.data.table));
    this.#notices.push({
      kind: "tables-recreated",
      tables,
      staleDocuments: repaired.stale.length,
      message:
        `The ${tables.join(" and ")} table${tables.length === 1 ? " was" : "s were"} missing and ` +
        `${tables.length === 1 ? "was" : "were"} made again` +
        (repaired.stale.length > 0
          ? `; ${repaired.stale.length} documents that lost their chunks are indexed again.`
          : "."),
    });
  }

  /** Scan: writes finished Batch API jobs first (so the diff sees them), then diffs the files against the manifest. */
  async #scan(): Promise<Scan> {
    const { store, embedder, batch } = this.#context;
    const { signal } = this.#options;
    let waiting = new Map<string, { job: string; hash: string }>();
    if (embedder && batch && (await hasActiveBatchJobs(store))) {
      this.#enter("collecting");
      const collected = await collectBeforeRun({ store, batch, embedder, signal });
      this.#batch = collected.section;
      this.#notices.push(...collected.notices);
      this.#failures.push(...collected.failures);
      this.#counters.files.failed += collected.failures.length;
      waiting = collected.waiting;
    }
    const manifest = new Map<string, DocumentRecord>();
    const owns = this.#owns;
    // A sharded run sees only its own documents: other shards' rows are neither work nor removals.
    for await (const record of store.documents()) if (!owns || owns(record.path)) manifest.set(record.path, record);
    // A cheap check every run: when the chunk count disagrees with the manifest, find out why.
    let expectedChunks = 0;
    for (const record of manifest.values()) if (record.status === "indexed") expectedChunks += record.chunks;
    if ((await this.#countChunks()) !== expectedChunks) await this.#reconcile(manifest);
    const counters = this.#counters;
    const result = emptyScan();
    const found = scanWork(this.#sources, manifest, result, {
      cwd: this.#context.cwd,
      include: this.#options.include,
      exclude: this.#options.exclude,
      retryFailed: this.#options.retryFailed,
      followSymlinks: this.#options.followSymlinks,
      signal,
      onFile: () => {
        counters.filesSeen++;
        if (counters.filesSeen % 100 === 0) this.#emit();
      },
    });
    const absorb = () => {
      counters.files.seen = result.seen.size;
      counters.files.unchanged += result.unchanged;
      counters.unchangedFailed = result.unchangedFailed;
      counters.files.skipped += result.skipped;
      counters.files.failed += result.failures.length;
      this.#failures.push(...result.failures);
      this.#passedOver.push(...result.passedOver);
    };
    const only = this.#only;
    async function* stream(): AsyncGenerator<WorkItem> {
      try {
        for await (const item of found) {
          // A repair's run indexes only the documents it repairs.
          if (only && !only.has(item.file.path)) continue;
          if (owns && !owns(item.file.path)) {
            counters.otherShards++;
            continue;
          }
          counters.filesToIndex++;
          yield item;
        }
        counters.discovered = true;
      } finally {
        absorb();
      }
    }
    this.#enter("indexing");
    return Object.assign(result, { stream: stream(), manifest, waiting });
  }

  /**
   * The chunks disagree with the manifest (a deleted or damaged table, two writers, a run killed
   * between its steps): extra copies of chunk rows are deleted, and documents whose chunks are
   * missing or extra become work for this run (in `manifest`, as stale), reusing the vectors of
   * whatever chunks are left.
   */
  async #reconcile(manifest: Map<string, DocumentRecord>): Promise<void> {
    const { store } = this.#context;
    const found = await reconcileChunks(store, manifest, this.#owns);
    if (found.unreadableRows > 0)
      throw new IndexDamagedError(store.uri, [
        { table: "chunks", problem: "unreadable", reason: found.unreadableReason ?? "damaged data files" },
      ]);
    if (found.duplicateChunkRows.length > 0) await store.deleteRows("chunks", found.duplicateChunkRows);
    for (const { record } of found.incomplete) manifest.set(record.path, { ...record, status: "stale" });
    if (found.incomplete.length > 0 || found.duplicateChunkRows.length > 0)
      this.#notices.push({
        kind: "chunks-reconciled",
        incomplete: found.incomplete.length,
        duplicates: found.duplicateChunkRows.length,
        message:
          `Documents indexed again because their chunks were missing: ${found.incomplete.length}; duplicate ` +
          `chunk rows removed: ${found.duplicateChunkRows.length}.`,
      });
  }

  /** Chunk rows in the index; a sharded run counts only its own documents' (other shards write meanwhile). */
  async #countChunks(): Promise<number> {
    const { store } = this.#context;
    const owns = this.#owns;
    if (!owns) return store.countChunks();
    let count = 0;
    for await (const { path } of store.chunkKeys()) if (owns(path)) count++;
    return count;
  }

  /**
   * Plan: what the index holds for the work. Only hashes found here are looked up later, so a new
   * corpus costs no lookups at all; documents with no chunk in the index are appended, not merged.
   */
  #plan(): Plan {
    const { store } = this.#context;
    const known = this.#context.embedder ? new KnownVectors(store, new Set(), this.#log) : undefined;
    const pathsWithChunks = new Set<string>();
    this.#distinct = new DistinctEmbeddings<EmbedTag>({
      keyOf: (item) => item.tag.document.chunks[item.tag.index]!.hash,
      lookup: async (hash) => (known?.has(hash) ? (await known.get([hash])).get(hash) : undefined),
    });
    let loaded: Promise<void> | undefined;
    const fill = async () => {
      const vectors = await store.hasVectors();
      for await (const { path: chunkPath, hash } of store.chunkKeys()) {
        pathsWithChunks.add(chunkPath);
        if (vectors) known?.indexed.add(hash);
      }
    };
    return { known, pathsWithChunks, load: () => (loaded ??= fill()) };
  }

  /** The writer that commits documents in groups; each commit is counted and its hashes become reusable. */
  #writer(plan: Plan): DocumentWriter {
    const onCommit = (entries: WriteEntry[]) => {
      for (const entry of entries) {
        if (plan.known) for (const chunk of entry.chunks) plan.known.indexed.add(chunk.hash);
        // Committed vectors come back from the index from now on.
        this.#distinct.forget(entry.chunks.map((chunk) => chunk.hash));
        // Parts of a document add their chunks as they are written; the last one counts the file.
        this.#counters.chunks.written += entry.chunks.length;
        if (entry.change) {
          this.#counters.files[entry.change]++;
          this.#counters.filesIndexed++;
        }
      }
      this.#emit();
    };
    const { commitEvery, collectGarbage } = this.#options;
    return new DocumentWriter(this.#context.store, onCommit, { maxChunks: commitEvery, collectGarbage });
  }

  /**
   * Load: hashes, loads and chunks each file of the work and routes the result. Failures, touched
   * files and documents whose every vector was reused go to the writer; documents that still need
   * vectors are yielded.
   */
  async *#load(scan: Scan, plan: Plan, writer: DocumentWriter): AsyncGenerator<PendingDocument> {
    const { store, embedder, describer } = this.#context;
    const { chunking, signal } = this.#options;
    async function* work(): AsyncGenerator<WorkItem> {
      for await (const item of scan.stream) {
        await plan.load();
        yield item;
      }
    }
    const prepared: AsyncIterable<Prepared> = prepareDocuments(work(), {
      store,
      known: plan.known,
      chunking: embedder ? { maxInputTokens: embedder.limits.maxInputTokens, ...chunking } : chunking,
      maxFileBytes: this.#options.maxFileBytes,
      retryFailed: this.#options.retryFailed,
      describer,
      embedMediaBytes: embedder?.embedMedia !== undefined,
      waiting: scan.waiting,
      onSuperseded: async (path, job) => (await store.batchTables()).remove(job, [path]),
      signal,
      // Big text files are read and chunked a window at a time; a document with more chunks than
      // a part (at most a commit's worth) is committed in parts.
      streamTextAbove: STREAM_TEXT_ABOVE,
      partChunks: Math.min(this.#options.commitEvery ?? DEFAULT_PART_CHUNKS, DEFAULT_PART_CHUNKS),
    });
    if (scan.waiting.size > 0) this.#batch ??= emptyBatchSection();
    const counters = this.#counters;
    for await (const item of prepared) {
      if (item.type === "waiting") {
        this.#batch!.waiting++;
        counters.filesToIndex--;
      } else if (item.type === "skipped") {
        counters.files.skipped++;
        counters.skippedReasons.set(item.reason, (counters.skippedReasons.get(item.reason) ?? 0) + 1);
        counters.filesToIndex--;
      } else if (item.type === "touched") {
        counters.files.unchanged++;
        if (item.record.status === "failed") counters.unchangedFailed++;
        counters.filesToIndex--;
        writer.touch(item.record);
      } else if (item.type === "failed") {
        counters.files.failed++;
        this.#failures.push({ path: item.file.path, reason: item.reason });
        await writer.add(failedEntry(item, !plan.pathsWithChunks.has(item.file.path)));
        counters.filesToIndex--;
      } else {
        const { document } = item;
        for (const warning of item.warnings ?? []) this.#warnings.push({ path: document.record.path, ...warning });
        document.fresh = !plan.pathsWithChunks.has(document.record.path);
        counters.chunks.reused += document.reused;
        if (document.missing === 0) await writer.add(this.#settle(document));
        else yield document;
      }
    }
  }

  /**
   * Embed: documents go through the Batch API router, the rest is embedded in batched requests
   * (paced, within the cost limit); each document is written once its last vector arrives.
   * Without an embedder every document is complete as soon as it is chunked.
   */
  async #embed(documents: AsyncIterable<PendingDocument>, writer: DocumentWriter): Promise<void> {
    const { embedder } = this.#context;
    if (!embedder) {
      for await (const _ of documents) {
        // Nothing to embed.
      }
      return;
    }
    const counters = this.#counters;
    const plan = new QuotaPlan(embedder.limits, {
      limits: this.#quota,
      ...this.#context.clock,
      onWait: (wait) =>
        this.#wait({
          cause: "pacing",
          delayMs: wait.delayMs,
          resumeAt: new Date((this.#context.clock?.now ?? Date.now)() + wait.delayMs).toISOString(),
          quota: {
            unit: wait.limit,
            perMinute: (wait.limit === "tokens" ? wait.tpm : wait.rpm) ?? 0,
          },
        }),
    });
    // Starts at 4 in flight and grows while requests succeed, up to `concurrency` and what the quota admits.
    const adaptive = new AdaptiveConcurrency({
      max: this.#options.concurrency,
      ceiling: () => plan.requestsPerWindow(),
    });
    const embed = (items: AsyncIterable<EmbedItem<EmbedTag>>) =>
      embedChunks(items, embedder, {
        adaptive,
        plan,
        beforeRequest: budgetGuard(embedder, this.#options.maxCostUsd, () => counters.tokens),
        // Stopping lets paid requests in flight finish and their documents be committed; waits end at once.
        stop: this.#options.signal,
        // Each vector is durable before its request's place goes to the next one.
        onEmbedded: (results) => this.#logVectors(results),
        onRequest: (info) => {
          counters.requests++;
          counters.tokens += info.tokens;
          counters.chunksEmbedded += info.items;
          this.#waiting = undefined;
          this.#emit();
        },
      });
    const batches = this.#distinct.embed(chunksToEmbed(this.#throughBatch(documents)), embed);
    try {
      for await (const batch of batches) {
        for (const result of batch) {
          const { document, index } = result.tag;
          if (result.failure === undefined && result.shared) counters.chunks.reused++;
          else if (result.failure === undefined) counters.chunks.embedded++;
          const done = result.failure
            ? document.fail(index, `embedding refused: ${result.failure.reason}`)
            : document.setVector(index, result.vector);
          if (done) await writer.add(this.#settle(document));
        }
      }
    } finally {
      const { learned } = plan;
      if (learned.rpm !== undefined || learned.tpm !== undefined)
        this.#notices.push({
          kind: "quota-learned",
          ...(learned.rpm === undefined ? {} : { rpm: learned.rpm }),
          ...(learned.tpm === undefined ? {} : { tpm: learned.tpm }),
          message: `Sized requests to the embedding quota the service named: ${[
            learned.rpm === undefined ? "" : `${learned.rpm} requests (inputs) per minute`,
            learned.tpm === undefined ? "" : `${learned.tpm} tokens per minute`,
          ]
            .filter(Boolean)
            .join(", ")} (pass tier, or rpm/tpm, to start with it).`,
        });
    }
  }

  /** Appends a request's vectors to the vector log; a log that cannot be written is given up (notice), not the run. */
  async #logVectors(results: ReadonlyArray<EmbedResultItem<EmbedTag>>): Promise<void> {
    const log = this.#log;
    if (!log) return;
    const entries = [];
    for (const result of results)
      if (result.vector)
        entries.push({ key: result.tag.document.chunks[result.tag.index]!.hash, vector: result.vector });
    try {
      await log.append(entries);
    } catch (error) {
      // Nothing more is logged this run; what was written stays for the next one.
      if (this.#log === log) this.#log = undefined;
      this.#logProblem("failed", (error as Error).message);
      await log.close().catch(() => {});
    }
  }

  /** A document whose chunks are all answered: counted as a failure when the service refused one of them. */
  #settle(document: PendingDocument): WriteEntry {
    const entry = document.entry();
    // The parts of one document share its failure: it is counted once.
    if (document.failure !== undefined && document.claimFailure()) {
      this.#counters.files.failed++;
      this.#counters.filesToIndex--;
      this.#failures.push({ path: document.record.path, reason: document.failure });
    }
    return entry;
  }

  /** Routes documents to one Batch API job when the mode and their number call for it (see routeThroughBatch). */
  #throughBatch(documents: AsyncIterable<PendingDocument>): AsyncIterable<PendingDocument> {
    const mode = this.#options.batch ?? "auto";
    return routeThroughBatch(documents, {
      store: this.#context.store,
      batch: mode === "never" ? undefined : this.#context.batch,
      threshold: mode === "always" ? 0 : (this.#options.batchThreshold ?? defaultBatchThreshold),
      signal: this.#options.signal,
      onSubmitting: () => this.#enter("submitting"),
      onSubmitted: (job) => {
        this.#batch ??= emptyBatchSection();
        this.#batch.submitted = { job: job.id, batchId: job.batchId!, documents: job.documents, inputs: job.inputs };
        this.#batch.running.push(job.id);
        this.#notices.push({
          kind: "batch-submitted",
          job: job.id,
          batchId: job.batchId!,
          inputs: job.inputs,
          documents: job.documents,
          message:
            `Submitted batch job ${job.id} (${job.batchId}) for ${job.inputs} chunks of ${job.documents} documents; ` +
            "the next run (or collectBatches()) writes them once it finishes.",
        });
      },
    });
  }

  /**
   * Commit: whatever happened, complete documents are written. After a run without error,
   * documents whose files are gone are removed (see planRemovals); then the tables are maintained.
   */
  async #commit(writer: DocumentWriter, scan: Scan): Promise<void> {
    const { store } = this.#context;
    await writer.flush();
    const committed = writer.committedDocuments;
    if (this.#error === undefined && !this.#only) {
      this.#enter("removing");
      const roots = this.#sources.map((source) => source.root);
      const plan = planRemovals(scan.manifest, scan.seen, roots, scan.problemRoots, this.#options.prune ?? false);
      this.#notices.push(...plan.notices);
      if (plan.paths.length > 0) {
        await store.removeDocuments(plan.paths);
        this.#counters.files.removed = plan.paths.length;
      }
      // Parts commits that killed runs left for documents this run saw (indexed, unchanged) or removed.
      const owns = this.#owns;
      const settled = new Set([...scan.seen, ...plan.paths].filter((path) => !owns || owns(path)));
      await store.settleParts(settled);
    }
    // Every run, even one that changed nothing: a run killed after its last commit left its
    // full-text or ANN index unfinished, and maintain() finishes it (and costs a few
    // milliseconds when there is nothing to do).
    if (committed > 0 || this.#counters.files.removed > 0 || (await store.maintenanceDue(this.#options))) {
      this.#enter("optimizing");
      this.#maintained = true;
      await this.#maintain();
    }
  }

  /**
   * Maintains the tables. A sharded run on object storage leaves it to its caller, which does it
   * once, after the last shard (two workers must not race to rebuild the same index).
   */
  async #maintain(): Promise<void> {
    const { store, shared } = this.#context;
    if (shared) return;
    this.#notices.push(...(await store.maintain({ annThreshold: this.#options.annThreshold })));
  }

  /** Report: assembles the run's report and records it as the index's last run. */
  async #report(): Promise<IndexRunResult> {
    const { store, embedder } = this.#context;
    const counters = this.#counters;
    for (const [reason, count] of counters.skippedReasons)
      this.#notices.push({ kind: "files-skipped", count, reason, message: `Skipped ${count} file(s): ${reason}.` });
    if (counters.unchangedFailed > 0)
      this.#notices.push({
        kind: "failed-files-kept",
        count: counters.unchangedFailed,
        message:
          `${counters.unchangedFailed} file(s) that failed before are unchanged and were not tried again ` +
          `(status() lists them; retryFailed tries them).`,
      });
    const report: IndexReport = {
      outcome: "completed",
      uri: store.uri,
      embedding: this.#embedding,
      files: counters.files,
      failures: this.#failures,
      warnings: this.#warnings,
      passedOver: this.#passedOver,
      chunks: counters.chunks,
      requests: counters.requests,
      tokens: counters.tokens,
      durationMs: Date.now() - this.#startedAt.getTime(),
      filesLeft: 0,
      notices: this.#notices,
      startedAt: this.#startedAt.toISOString(),
      ...(this.#batch ? { batch: this.#batch } : {}),
      ...(this.#options.shard ? { shard: { ...this.#options.shard, otherFiles: counters.otherShards } } : {}),
    };
    if (embedder?.pricing) report.estimatedCostUsd = (report.tokens / 1_000_000) * embedder.pricing.usdPerMillionTokens;
    this.#enter("done");
    if (!embedder)
      report.notices.push({ kind: "lexical-only", message: "No API key: indexed for lexical (BM25) search only." });
    this.#conclude(report);
    try {
      // A run that found nothing to do writes nothing: hourly runs on a quiet folder would
      // otherwise grow the meta table by a version each (and slow every later run).
      if (!this.#quiet(report)) {
        const { shard } = this.#options;
        // Workers of one sharding write at once: each keeps its own record (one key would race).
        await store.writeValue(shard ? metaKeys.shardRun(shard.index, shard.count) : metaKeys.lastRun, {
          ...report,
          failures: report.failures.slice(0, 100),
          warnings: report.warnings.slice(0, 100),
          passedOver: report.passedOver.slice(0, 100),
        });
        // Shards all run the same sources; one unsharded run keeps the rules.
        if (!shard) await recordSourceRules(store, this.#sources, this.#options);
        // Tidying the meta table is upkeep too: a sharded run leaves it to the last worker.
        if (!this.#context.shared) this.#notices.push(...(await store.tidyMeta()));
      }
    } catch (error) {
      this.#fail(error);
      this.#conclude(report);
    }
    return this.#error === undefined ? { report } : { report, error: this.#error };
  }

  /** True for a run that completed without changing, removing, failing or maintaining anything. */
  #quiet(report: IndexReport): boolean {
    const { files, chunks } = report;
    return (
      report.outcome === "completed" &&
      files.new + files.changed + files.removed + files.failed === 0 &&
      chunks.written === 0 &&
      !report.batch &&
      !this.#maintained &&
      report.notices.every((notice) => notice.kind === "lexical-only" || notice.kind === "files-skipped")
    );
  }

  /** Sets the report's outcome from the error that ended the run, if any. */
  #conclude(report: IndexReport): void {
    if (this.#error === undefined) return;
    const error = this.#error;
    // A lost write lease aborts the run too, but it is a stop, not the user's interruption.
    const aborted = this.#options.signal?.aborted === true && !(error instanceof IndexLockedError);
    report.outcome = aborted ? "interrupted" : "stopped";
    // Files the run had found to (re)index and neither committed nor failed.
    report.filesLeft = Math.max(0, this.#counters.filesToIndex - this.#counters.filesIndexed);
    if (!this.#counters.discovered) report.moreFilesLeft = true;
    report.error = aborted
      ? { code: "ABORTED", message: "Interrupted; finished documents are committed." }
      : toErrorInfo(error);
  }

  #fail(error: unknown): void {
    const { signal } = this.#options;
    this.#error ??= signal?.aborted ? signal.reason : error;
  }

  #enter(phase: IndexProgress["phase"]): void {
    this.#phase = phase;
    this.#emit();
  }

  #emit(): void {
    const counters = this.#counters;
    this.#options.onProgress?.({
      phase: this.#phase,
      filesSeen: counters.filesSeen,
      filesToIndex: counters.filesToIndex,
      filesIndexed: counters.filesIndexed,
      chunksEmbedded: counters.chunksEmbedded,
      requests: counters.requests,
      tokens: counters.tokens,
      ...(this.#waiting ? { waiting: this.#waiting } : {}),
    });
  }

  #wait(wait: NonNullable<IndexProgress["waiting"]>): void {
    this.#waiting = wait;
    this.#emit();
  }
}

/** The manifest row (and no chunks) that records a file's failure, so the next run retries it only when it changes. */
function failedEntry(item: Extract<Prepared, { type: "failed" }>, fresh: boolean): WriteEntry {
  const { file } = item;
  return {
    record: {
      path: file.path,
      source: file.source,
      hash: item.hash,
      size: file.size,
      mtimeMs: file.mtimeMs,
      status: "failed",
      error: item.reason,
      chunks: 0,
      indexedAt: new Date().toISOString(),
    },
    chunks: [],
    fresh,
  };
}

/** The chunks of each document that still need a vector, tagged to put the vector back. */
async function* chunksToEmbed(documents: AsyncIterable<PendingDocument>): AsyncGenerator<EmbedItem<EmbedTag>> {
  for await (const document of documents) {
    for (const [index, chunk] of document.chunks.entries()) {
      if (!chunk.vector)
        yield {
          text: chunk.text,
          tokens: chunk.tokens,
          title: document.title,
          media: chunk.media,
          tag: { document, index },
        };
    }
  }
}

/**
 * An index kept inside a folder it indexes must not index itself (LanceDB's `__manifest/` holds
 * JSON files a loader would read): its folder is excluded from that source, anchored at the root.
 */
function excludeIndexFolder(source: SourceSpec, uri: string, cwd: string): SourceSpec {
  if (isRemoteUri(uri)) return source;
  const inside = path.posix.relative(source.root, normalizeRoot(uri, cwd));
  if (inside === "" || inside.startsWith("..") || path.posix.isAbsolute(inside)) return source;
  return { ...source, exclude: [...(source.exclude ?? []), `/${inside}/`] };
}
