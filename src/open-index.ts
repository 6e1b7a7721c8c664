import { createHash } from "node:crypto";
import path from "node:path";
import { agentAnswer } from "./answer/agent.js";
import { answer as answerQuestion } from "./answer/answer.js";
import { ChatSession, type ChatSessionOptions } from "./answer/chat-session.js";
import { type CacheRegistryEntry, ContextCache } from "./answer/context-cache.js";
import { structuredAnswer } from "./answer/structured.js";
import type { AnswerEvent, AnswerOptions } from "./answer/types.js";
import { ModelCatalog, type ModelListing } from "./config/model-catalog.js";
import { resolveSettings, type Settings, settingsFromEnv } from "./config/settings.js";
import { ConfigError, IndexLockedError, needsApiKeyError } from "./errors.js";
import {
  type BatchJobRecord,
  type CollectReport,
  cancelBatchJob,
  findBatchJob,
  listBatchJobs,
  unknownBatchJobError,
} from "./indexing/batch-jobs.js";
import { checkHealth, type HealthReport } from "./indexing/check-health.js";
import { type CollectBatchesOptions, collectBatches } from "./indexing/collect-batches.js";
import { type IndexContext, indexFiles, type RetryEvent } from "./indexing/index-files.js";
import { finishShardedUpkeep, type OptimizeOptions, type OptimizeReport, optimizeIndex } from "./indexing/optimize.js";
import { describeEmbedding, describeForm } from "./indexing/prepare-index.js";
import {
  type PrunedRoot,
  pruneMissingRoots,
  type RepairOptions,
  type RepairResult,
  runRepair,
} from "./indexing/repair-run.js";
import { checkShard } from "./indexing/shard.js";
import { withSourceRules } from "./indexing/source-rules.js";
import { type IndexStatus, readStatus } from "./indexing/status.js";
import type { IndexOptions, IndexReport, IndexSource } from "./indexing/types.js";
import { listRuns, type RunRecord, recordRun } from "./jobs/run-history.js";
import type { Notice } from "./notices.js";
import { createGeminiProvider, type GeminiProvider } from "./providers/gemini/index.js";
import { plainPairing, usesTaskTypes } from "./providers/gemini/models.js";
import type { RetryNotice, RetryPolicy } from "./providers/retry.js";
import type {
  BatchEmbedder,
  BatchJobInfo,
  CachedContext,
  EmbeddingConfig,
  EmbeddingForm,
  EmbeddingPairing,
} from "./providers/types.js";
import {
  type DocumentInfo,
  type ListDocumentsOptions,
  listDocuments,
  listSources,
} from "./retrieval/list-documents.js";
import { type DocumentText, type ReadOptions, readDocument } from "./retrieval/read-document.js";
import { retrieve } from "./retrieval/retrieve.js";
import type { SearchOptions, SearchResult } from "./retrieval/types.js";
import { acquireLease, type LeaseScope, leasesSupported, listLeases } from "./store/lease.js";
import { Store } from "./store/open-store.js";
import { isRemoteUri, resolveUri } from "./store/uri.js";
import { acquireWriteLock } from "./store/write-lock.js";

export interface OpenIndexOptions extends Partial<Settings> {
  /**
   * An environment to read GEMINI_API_KEY, GEMINI_BASE_URL and GEMINDEX_* from (pass
   * `process.env` to behave like the CLI). Explicit options win over it.
   */
  env?: Record<string, string | undefined>;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout of remote calls. @default 120000 */
  timeoutMs?: number;
  /** Seconds between checks for other processes' writes (0: every read; env GEMINDEX_READ_CONSISTENCY). @default 1 */
  readConsistencyInterval?: number;
  /**
   * The clock context-cache lifetimes are judged by (ms since the epoch); tests move it together
   * with an emulator's; quota pacing reads it too. @default Date.now
   */
  now?: () => number;
  /**
   * How the library waits (rate-limit retries, pacing to a quota). Tests pass one that moves an
   * emulator's clock instead of sleeping. @default a timer
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * An index on object storage is written under a lease (the lock file of a local index cannot
   * guard it): a writer renews it every quarter of this, and a lease not renewed for this long
   * (a killed worker on another machine) is taken over. @default 60000
   */
  leaseTtlMs?: number;
}

/** How long a sharded worker waits for another to finish creating or healing the tables. */
const sharedWaitMs = 5 * 60_000;

type RetryListener = (notice: RetryEvent) => void;

/** The providers of a handle with a key (see pairedProviders). */
interface Providers {
  /** Embeds under the pairing the settings choose for a new index, or one rebuilt with `reset`. */
  fresh: GeminiProvider;
  /** Embeds under the pairing the index's vectors need; an error when this endpoint cannot. */
  paired: GeminiProvider | ConfigError;
}

/** Passes the provider's retry notices to whichever run is listening (the provider outlives runs). */
class RetryHub {
  readonly #listeners = new Set<RetryListener>();

  subscribe(listener: RetryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(notice: RetryEvent): void {
    for (const listener of this.#listeners) listener(notice);
  }
}

/**
 * An open index: index folders, search, answer questions. Created by {@link openIndex};
 * call `close()` when done.
 */
export class GemIndex {
  readonly settings: Settings;
  readonly #store: Store;
  readonly #providers?: Providers;
  readonly #retries: RetryHub;
  readonly #clock: IndexContext["clock"];
  readonly #caches?: ContextCache;
  readonly #models?: ModelCatalog;
  readonly #lease: { now?: () => number; ttlMs?: number };

  /** @internal use {@link openIndex} */
  constructor(
    settings: Settings,
    store: Store,
    providers: Providers | undefined,
    retries: RetryHub,
    options: {
      now?: () => number;
      sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
      leaseTtlMs?: number;
    } = {},
  ) {
    this.settings = settings;
    this.#store = store;
    this.#providers = providers;
    const provider = providers?.fresh;
    this.#retries = retries;
    this.#clock = { now: options.now, sleep: options.sleep };
    this.#lease = { now: options.now, ttlMs: options.leaseTtlMs };
    // The registry lives in the index's meta table, so other processes reuse the same caches.
    if (provider) this.#caches = new ContextCache({ service: provider.caches, registry: store, now: options.now });
    if (provider) this.#models = new ModelCatalog({ list: provider.listModels, store, now: options.now });
  }

  /**
   * The embedding and chat models the key can use, with their token limits and supported
   * methods, as the service lists them now (one or more requests; nothing is written).
   */
  async models(options: { signal?: AbortSignal } = {}): Promise<ModelListing> {
    if (!this.#models) throw needsApiKeyError("models", "Listing the service's models needs an API key.");
    return this.#models.listing({ refresh: true, signal: options.signal });
  }

  /** Location of the index. */
  get uri(): string {
    return this.#store.uri;
  }

  /** True when an API key is configured: vectors and generated answers are available. */
  get online(): boolean {
    return this.#providers !== undefined;
  }

  /**
   * The embedding configuration this handle uses (null without a key): the index's pairing, or the
   * one a new index gets when the index has none this endpoint can use.
   */
  get embedding(): EmbeddingConfig | null {
    const providers = this.#providers;
    if (!providers) return null;
    return (providers.paired instanceof ConfigError ? providers.fresh : providers.paired).embedder.config;
  }

  /**
   * The provider whose embeddings pair with the index's vectors (undefined without a key); throws
   * NO_NATIVE_API when the index recorded task types this endpoint cannot embed with.
   */
  #paired(): GeminiProvider | undefined {
    const paired = this.#providers?.paired;
    if (paired instanceof ConfigError) throw paired;
    return paired;
  }

  /** The provider a run embeds with: the settings' pairing for a reset (or taskTypes "off"), else the index's. */
  #runProvider(options: IndexOptions): GeminiProvider | undefined {
    if (options.reset || this.settings.taskTypes === "off") return this.#providers?.fresh;
    return this.#paired();
  }

  /**
   * Indexes files and folders incrementally: new and changed files are (re)indexed, unchanged
   * ones skipped, removed ones deleted. Never throws for a bad file (see `report.failures`) or a
   * provider failure mid-run (see `report.outcome`/`report.error`; finished work is committed);
   * throws ConfigError before starting when the index's embedding configuration differs, or
   * when the service does not offer its embedding or chat model (code UNKNOWN_MODEL).
   */
  async index(paths: Array<string | IndexSource>, options: IndexOptions = {}): Promise<IndexReport> {
    if (paths.length === 0) throw new ConfigError("Give at least one file or folder to index.");
    const provider = this.#runProvider(options);
    const { shard } = options;
    if (shard) checkShard(shard);
    const scope: LeaseScope = shard ? { kind: "shard", ...shard } : { kind: "index" };
    const { report } = await this.#write(
      shard ? `index --shard ${shard.index}/${shard.count}` : "index",
      async (lost) => {
        const signal = lost && options.signal ? AbortSignal.any([options.signal, lost]) : (lost ?? options.signal);
        // Before any other request; the list is kept in the index for a day.
        await this.#models?.check(
          { embedding: provider?.embedder.config.model, chat: provider?.describer.model },
          { signal },
        );
        const context = {
          ...this.#runContext(provider),
          ...(shard && this.#remote ? { shared: this.#shared() } : {}),
          ...this.#logFolder(shard),
        };
        const result = await indexFiles(paths, context, { ...options, signal });
        // Shards would race to save the list under one key; an unsharded run keeps it fresh.
        if (result.report.outcome === "completed" && !shard) await this.#models?.save();
        return result;
      },
      scope,
    );
    if (shard && this.#remote && report.outcome !== "interrupted")
      report.notices.push(...(await this.#finishShards(options.annThreshold)));
    // The index now records the run's pairing: later queries and runs of this handle use it.
    if (options.reset && this.#providers && provider) this.#providers.paired = provider;
    this.#suggestPairing(report, provider);
    return report;
  }

  /**
   * Repairs a damaged index with the least work (what `doctor()` reports as damage): tables that
   * are gone are made again (the manifest from the chunks, the settings from the vectors'
   * fingerprint), tables with damaged files are rewritten from what can be read, duplicate and
   * orphaned rows are removed, and the documents whose chunks were lost are indexed again from
   * their folders, reusing every vector still present. Takes the write lock.
   */
  async repair(options: RepairOptions = {}): Promise<RepairResult> {
    const provider = this.#paired();
    return this.#write("doctor --repair", () => runRepair(this.#runContext(provider), options));
  }

  /**
   * Removes the documents of roots whose folder or file no longer exists (see `doctor()`'s
   * missing-root findings) and forgets those roots. A folder that merely moved is better indexed
   * at its new place: it is recognised there and nothing is embedded again. Takes the write lock.
   */
  async pruneMissingRoots(): Promise<PrunedRoot[]> {
    // Only the store is touched: no embedder is needed.
    return this.#write("doctor --prune-missing", () => pruneMissingRoots(this.#runContext(undefined)));
  }

  /**
   * Tells a run that embedded new vectors in plain text where this endpoint would embed a new
   * index with task types (the documented retrieval pairing) how to move to it: rebuild with reset.
   */
  #suggestPairing(report: IndexReport, provider: GeminiProvider | undefined): void {
    const fresh = this.#providers?.fresh;
    if (!provider || !fresh || provider === fresh || report.chunks.embedded === 0) return;
    const current = provider.embedder.config;
    const available = fresh.embedder.config;
    if (current.document.kind !== "plain" || available.document.kind !== "task-type") return;
    report.notices.push({
      kind: "pairing-available",
      current: describeForm(current.document),
      available: `${describeForm(available.document)} with titles, queries ${describeForm(available.query)}`,
      message:
        `This index embeds documents and queries as plain text (it was built that way); new indexes embed documents ` +
        `${describeForm(available.document)} with their titles and queries ${describeForm(available.query)}, ` +
        "the pairing Google documents for retrieval. Index again with reset to rebuild it that way (every document " +
        "is embedded again).",
    });
  }

  /** An index on S3: writers hold leases (the lock file of a local index cannot guard it). */
  get #remote(): boolean {
    return leasesSupported(this.#store.uri);
  }

  /** Creating or healing the tables under the maintenance lease, for sharded runs on object storage. */
  #shared(): NonNullable<IndexContext["shared"]> {
    return async (work) => {
      const lease = await acquireLease(
        this.#store.uri,
        { kind: "maintenance" },
        this.#leaseOptions("index (shared set-up)", sharedWaitMs),
      );
      try {
        return await work();
      } finally {
        await lease.release();
      }
    };
  }

  /**
   * After a shard's run (its lease released): the index upkeep, done by the last worker of the
   * sharding to finish, so it runs once and never races another worker. A worker that finds other
   * shards still writing leaves it to them (each checks after releasing its own lease, so the last
   * one finds none); so does one that cannot get the maintenance lease in time.
   */
  async #finishShards(annThreshold?: number): Promise<Notice[]> {
    const options = this.#leaseOptions("index (shared upkeep)", sharedWaitMs);
    const deferred = (holder: string): Notice[] => [
      {
        kind: "maintenance-deferred",
        holder,
        message: `Index upkeep (full-text and ANN indexes, compaction) is left to ${holder}.`,
      },
    ];
    let lease: Awaited<ReturnType<typeof acquireLease>>;
    try {
      lease = await acquireLease(this.#store.uri, { kind: "maintenance" }, options);
    } catch (error) {
      if (error instanceof IndexLockedError) return deferred("the writer holding the maintenance lease");
      throw error;
    }
    try {
      const writing = (await listLeases(this.#store.uri, options)).filter(
        (state) => state.live && state.scope.startsWith("shard-"),
      );
      if (writing.length > 0)
        return deferred(`the last of the shards still writing (${writing.map((state) => state.scope).join(", ")})`);
      return await finishShardedUpkeep(this.#store, { annThreshold });
    } finally {
      await lease.release();
    }
  }

  #leaseOptions(purpose: string, waitMs = 0) {
    return {
      purpose: `gemindex ${purpose}`,
      storageOptions: this.settings.storageOptions,
      now: this.#lease.now,
      ttlMs: this.#lease.ttlMs,
      waitMs,
      sleep: this.#clock?.sleep,
    };
  }

  /**
   * Where an index on object storage keeps its vector log on this machine: one file per index and
   * shard in the cache folder, so workers on one machine never share one.
   */
  #logFolder(shard: IndexOptions["shard"]): { logFolder?: string } {
    const { cacheDir, uri } = this.settings;
    if (!this.#remote || !cacheDir) return {};
    const name = createHash("sha256").update(uri).digest("hex").slice(0, 16);
    const suffix = shard ? `-shard-${shard.index}-of-${shard.count}` : "";
    return { logFolder: path.join(cacheDir, "vector-logs", `${name}${suffix}`) };
  }

  #runContext(provider: GeminiProvider | undefined): IndexContext {
    return {
      store: this.#store,
      embedder: provider?.embedder,
      batch: provider?.batch,
      describer: provider?.describer,
      cwd: this.settings.cwd,
      onRetry: (listener) => this.#retries.subscribe(listener),
      clock: this.#clock,
    };
  }

  /** Batch API jobs recorded in this index, oldest first. */
  async batchJobs(): Promise<BatchJobRecord[]> {
    return listBatchJobs(this.#store);
  }

  /**
   * Writes the documents of finished Batch API jobs into the index (all active jobs, or `only`).
   * With `wait`, polls every `pollMs` until no job is running. Takes the write lock.
   */
  async collectBatches(options: CollectBatchesOptions = {}): Promise<CollectReport> {
    const provider = this.#requireBatch();
    return this.#write("batch collect", () => collectBatches(this.#store, provider, options));
  }

  /** Cancels a Batch API job (our id or the service's); its documents are indexed again by the next run. */
  async cancelBatch(id: string, options: { signal?: AbortSignal } = {}): Promise<BatchJobRecord> {
    const provider = this.#requireBatch();
    return this.#write("batch cancel", () => cancelBatchJob(this.#store, provider.batch, id, options.signal));
  }

  /** The service's view of a job (state, counts), by our id or the service's. */
  async batchStatus(
    id: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ job: BatchJobRecord; remote?: BatchJobInfo }> {
    const job = await findBatchJob(this.#store, id);
    if (!job) throw unknownBatchJobError(id);
    const batch = this.#paired()?.batch;
    const remote = job.batchId && batch ? await batch.get(job.batchId, options) : undefined;
    return { job, remote };
  }

  #requireBatch(): GeminiProvider & { batch: BatchEmbedder } {
    const provider = this.#paired();
    if (!provider) throw needsApiKeyError("batch", "Batch jobs need an API key.");
    if (!provider.batch)
      throw new ConfigError("The service at this base URL offers no Batch API (it needs Gemini's native Files API).", {
        code: "NO_BATCH_API",
      });
    return provider as GeminiProvider & { batch: BatchEmbedder };
  }

  /** Ranks chunks for a query (hybrid when vectors and a key are available, else lexical). */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    if (!query.trim()) throw new ConfigError("The query is empty.");
    // A lexical search needs no query vector, so it works whatever the pairing.
    const embedder = options.mode === "lexical" ? undefined : this.#paired()?.embedder;
    return retrieve(query, { store: this.#store, embedder, cwd: this.settings.cwd }, options);
  }

  /**
   * Retrieves sources and streams a generated answer that cites them. Needs an API key.
   * @example
   * for await (const event of index.answer("How are runs kept consistent?")) {
   *   if (event.type === "text-delta") process.stdout.write(event.text);
   * }
   */
  answer(question: string, options: AnswerOptions = {}): AsyncGenerator<AnswerEvent> {
    const provider = this.#paired();
    if (!provider) throw needsApiKeyError("answers", "Generated answers need an API key; search() works without it.");
    const context = this.#answerContext(provider);
    if (options.schema) return structuredAnswer(question, context, { ...options, schema: options.schema });
    if (options.agent) return agentAnswer(question, context, options);
    return answerQuestion(question, context, options);
  }

  /**
   * The text of an indexed document, or of one page or line range (`reference` may also be a
   * citation such as `guide.md:L10-L24`). Only indexed documents can be read.
   */
  async read(reference: string, options: ReadOptions = {}): Promise<DocumentText> {
    return readDocument(reference, { store: this.#store, cwd: this.settings.cwd }, options);
  }

  /** The folders and files this index was built from (the roots its documents were found under). */
  async sources(): Promise<string[]> {
    return listSources({ store: this.#store });
  }

  /**
   * `roots` (default: every root the index holds documents from) with the include/exclude rules
   * the last run that indexed them applied, ready to pass to `index()` to update exactly what the
   * user chose there.
   */
  async sourceRules(roots?: string[]): Promise<IndexSource[]> {
    return withSourceRules(this.#store, roots ?? (await this.sources()));
  }

  /** The indexed documents sorted by path, a page at a time (pass `nextCursor` back for the next). */
  async documents(options: ListDocumentsOptions = {}): Promise<{ documents: DocumentInfo[]; nextCursor?: string }> {
    return listDocuments({ store: this.#store, cwd: this.settings.cwd }, options);
  }

  /**
   * Starts a follow-up conversation: each `ask()` retrieves afresh and sends the earlier turns;
   * pinned documents stay in one context cache for the session. Needs an API key.
   * @example
   * const chat = index.chat({ pin: ["docs/guide.md"] });
   * for await (const event of chat.ask("What does the guide cover?")) { ... }
   * for await (const event of chat.ask("And its second chapter?")) { ... }
   */
  chat(options: ChatSessionOptions = {}): ChatSession {
    const provider = this.#paired();
    if (!provider)
      throw needsApiKeyError("chat", "Chat needs an API key (it generates answers); search() works without it.");
    return new ChatSession(this.#answerContext(provider), options);
  }

  /**
   * Context caches: the ones this index's registry made (with `expired` by the clock) and every
   * cache the service holds for the key (ours and other programs'; empty without native caching).
   */
  async listCaches(
    options: { signal?: AbortSignal } = {},
  ): Promise<{ registry: Array<CacheRegistryEntry & { expired: boolean }>; remote: CachedContext[] }> {
    const caches = this.#requireCaches();
    const registry = (await caches.entries()).map((entry) => ({
      ...entry,
      expired: entry.status === "ready" && caches.expired(entry),
    }));
    return { registry, remote: await caches.listRemote(options) };
  }

  /**
   * Deletes a context cache (`cachedContents/<id>` or `<id>`) at the service and forgets it in the
   * registry. `deleted` is false when the service no longer had it.
   */
  async deleteCache(
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ deleted: boolean; forgotten: number }> {
    return this.#requireCaches().delete(name, options);
  }

  #requireCaches(): ContextCache {
    if (!this.#caches) throw needsApiKeyError("caches", "Context caches need an API key.");
    return this.#caches;
  }

  #answerContext(provider: GeminiProvider) {
    return {
      store: this.#store,
      embedder: provider.embedder,
      chat: provider.chat,
      cwd: this.settings.cwd,
      caches: this.#caches,
      // A reader: the list is read from the index or fetched, never written.
      checkModels: (models: { chat?: string }, options: { signal?: AbortSignal } = {}) =>
        this.#models?.check({ ...models, embedding: provider.embedder.config.model }, options) ?? Promise.resolve(),
    };
  }

  /** Checks the index's health (full-text and ANN coverage, fragments, batch jobs, lock); see HealthReport. */
  async doctor(options: { annThreshold?: number } = {}): Promise<HealthReport> {
    const leases = this.#remote
      ? await listLeases(this.#store.uri, { storageOptions: this.settings.storageOptions, now: this.#lease.now })
      : undefined;
    return checkHealth(this.#store, { ...options, leases });
  }

  /**
   * Compacts the tables, rebuilds the full-text index, builds or rebuilds the ANN index when the
   * index holds at least `annThreshold` vectors (or with `ann: true`), and prunes old versions.
   * Takes the write lock. Queries keep working meanwhile.
   */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeReport> {
    // On object storage, shard workers may keep writing meanwhile: only upkeep is excluded.
    return this.#write("optimize", () => optimizeIndex(this.#store, options), { kind: "maintenance" });
  }

  /** Counts, embedding configuration, the last run and failed files. */
  async status(): Promise<IndexStatus> {
    return readStatus(this.#store);
  }

  /** Runs recorded in this index (pipeline runs), newest first; `pipeline` keeps one pipeline's. @default limit 50 */
  async runs(options: { pipeline?: string; limit?: number } = {}): Promise<RunRecord[]> {
    return listRuns(this.#store, options);
  }

  /**
   * Appends a run to the index's history (kept in the index, so it travels with it), keeping the
   * last `keep` runs of its pipeline. @default keep 200
   */
  async recordRun(record: RunRecord, options: { keep?: number } = {}): Promise<void> {
    await recordRun(this.#store, record, options);
  }

  /**
   * Runs `work` holding the index's write lock (named after `purpose` for whoever finds it held),
   * on an up-to-date view of the tables: a writer never builds on a stale version. An index on
   * object storage is guarded by a lease of `scope` instead (see acquireLease); `work` gets a
   * signal that aborts if the lease is lost. A local index has one lock, whatever the scope.
   */
  async #write<T>(
    purpose: string,
    work: (lost?: AbortSignal) => Promise<T>,
    scope: LeaseScope = { kind: "index" },
  ): Promise<T> {
    const held = this.#remote
      ? await acquireLease(this.#store.uri, scope, this.#leaseOptions(purpose))
      : isRemoteUri(this.#store.uri)
        ? // gs://, az://: no lease yet; LanceDB's commits keep the index consistent (see the README).
          { release: async () => {} }
        : await acquireWriteLock(this.#store.uri, `gemindex ${purpose}`);
    try {
      await this.#store.refresh();
      return await work("lost" in held ? held.lost : undefined);
    } finally {
      await held.release();
    }
  }

  async close(): Promise<void> {
    this.#store.close();
  }
}

/**
 * Opens (or prepares to create) an index. Without an API key the index works lexically
 * (BM25) and answers are unavailable. The embedding model and dimensions default to the ones
 * the index was built with.
 * @example
 * import { openIndex } from "gemindex";
 * const index = await openIndex({ uri: "data/index", env: process.env });
 * await index.index(["docs/"]);
 * const { hits } = await index.search("how do I configure retries?");
 * await index.close();
 */
export async function openIndex(options: OpenIndexOptions = {}): Promise<GemIndex> {
  const { env, retry, timeoutMs, now, sleep, leaseTtlMs, ...explicit } = options;
  const settings = resolveSettings(env ? settingsFromEnv(env) : undefined, explicit);
  const uri = resolveUri(settings.uri, settings.cwd);
  const store = await Store.open(uri, {
    readConsistencyInterval: settings.readConsistencyInterval,
    storageOptions: settings.storageOptions,
  });
  try {
    const meta = await store.readMeta();
    const built = meta?.embedding;
    // Unless told otherwise, use what the index was built with.
    const embeddingModel = settings.embeddingModel ?? built?.model;
    const dimensions =
      settings.dimensions ??
      (embeddingModel === undefined || embeddingModel === built?.model ? built?.dimensions : undefined);
    const retries = new RetryHub();
    const fresh = settings.apiKey
      ? createGeminiProvider({
          apiKey: settings.apiKey,
          baseURL: settings.baseURL,
          embeddingModel,
          dimensions,
          taskTypes: settings.taskTypes !== "off",
          chatModel: settings.chatModel,
          timeoutMs,
          retry,
          sleep,
          onRetry: (notice: RetryNotice) =>
            retries.emit({
              delayMs: notice.delayMs,
              resumeAt: notice.resumeAt,
              reason: notice.error.message,
              status: notice.error.status,
            }),
        })
      : undefined;
    const providers = fresh ? pairedProviders(fresh, built, uri) : undefined;
    return new GemIndex({ ...settings, uri }, store, providers, retries, { now, sleep, leaseTtlMs });
  } catch (error) {
    store.close();
    throw error;
  }
}

/**
 * The providers of a handle: `fresh` embeds under the pairing the settings choose for a new
 * index (or a reset); `paired` under the one the index recorded, which its vectors need, when
 * it differs (same model and size: another model is EMBEDDING_MISMATCH when indexing). An index
 * recorded with task types on a base URL without Gemini's native API cannot be paired: `paired`
 * is then the NO_NATIVE_API error, thrown by whatever needs it.
 */
function pairedProviders(fresh: GeminiProvider, built: EmbeddingConfig | null | undefined, uri: string): Providers {
  const current = fresh.embedder.config;
  if (!built || built.provider !== current.provider || built.model !== current.model) return { fresh, paired: fresh };
  // The old plain-documents index recorded RETRIEVAL_QUERY queries: its documents pair with plain ones.
  const recorded: EmbeddingPairing =
    built.document.kind === "plain" ? plainPairing : { document: built.document, query: built.query };
  const same = (a: EmbeddingForm, b: EmbeddingForm) => a.kind === b.kind && a.value === b.value;
  if (same(recorded.document, current.document) && same(recorded.query, current.query)) return { fresh, paired: fresh };
  if (usesTaskTypes(recorded) && !fresh.client.hasNative) {
    const name = (form: EmbeddingForm) => form.value ?? form.kind;
    const form = `documents as ${name(recorded.document)} and queries as ${name(recorded.query)}`;
    const baseURL = fresh.client.endpoints.compat;
    const error = new ConfigError(
      `The index at ${uri} embeds ${form}, task types only Gemini's native API takes, and the service at ${baseURL} ` +
        "offers only OpenAI-compatible endpoints. Use a base URL with Gemini's native API, or index again with reset " +
        "to rebuild the index with plain text.",
      { code: "NO_NATIVE_API", data: { feature: "task types", baseURL, uri, built: form } },
    );
    return { fresh, paired: error };
  }
  return { fresh, paired: fresh.withPairing(recorded) };
}

export { describeEmbedding };
