/**
 * Notices: things a caller should know that are not errors, as typed facts. Each has a `kind`, the
 * facts of its kind, and a `message` in the library's own terms (option names, never CLI flags or
 * commands: see the convention at the top of `errors.ts`). The CLI renders each kind in its own
 * words (`src/cli/describe.ts`) and decides which kinds to show; it never matches a notice's text.
 * Add a kind here (with its facts) rather than pushing a bare string.
 */
import type { ErrorInfo } from "./errors.js";

/** An embedding configuration as a notice states it (null: lexical only). */
export type NoticeEmbedding = { model: string; dimensions: number } | null;

/** Every notice the library gives, by kind. */
export type Notice =
  // Indexing.
  /** No API key: the run indexed for lexical (BM25) search only. */
  | { kind: "lexical-only"; message: string }
  /** `reset`: the index was dropped and rebuilt with `embedding`. */
  | { kind: "index-rebuilt"; embedding: NoticeEmbedding; message: string }
  /**
   * The index recorded another query form for the same documents (gemindex before the one-pairing
   * change embedded queries as RETRIEVAL_QUERY against plain documents): the record now states the
   * pairing in use; no document vector changes.
   */
  | { kind: "pairing-updated"; from: string; to: string; message: string }
  /**
   * The run embedded documents as plain text because the index was built that way, while a new
   * index on this endpoint would use the documented retrieval task types (`available`): a reset
   * rebuilds it under them (every document embedded again).
   */
  | { kind: "pairing-available"; current: string; available: string; message: string }
  /** A lexical-only index gained vectors: every document is indexed again. */
  | { kind: "vectors-added"; embedding: NoticeEmbedding; message: string }
  /**
   * Documents of `root` whose files are gone were kept (pass `prune` to remove them): the root could
   * not be read, or more than half of its documents are gone.
   */
  | {
      kind: "removals-kept";
      root: string;
      reason: "root-unreadable" | "most-gone";
      documents: number;
      gone: number;
      message: string;
    }
  /**
   * Tables of the index were gone (deleted folders): the run made them again (`tables`), rebuilt
   * the manifest from the chunks where it was lost, and re-indexes documents whose chunks went
   * with them (`staleDocuments`), reusing any vectors still present.
   */
  | { kind: "tables-recreated"; tables: string[]; staleDocuments: number; message: string }
  /**
   * The chunks did not match the manifest: `incomplete` documents (chunks missing or extra) were
   * indexed again though their files had not changed, and `duplicates` extra copies of chunk rows
   * (two writers) were removed.
   */
  | { kind: "chunks-reconciled"; incomplete: number; duplicates: number; message: string }
  /** The index was migrated to a newer layout (`to`) by this run, without embedding anything. */
  | {
      kind: "layout-migrated";
      from: number;
      to: number;
      roots: number;
      documents: number;
      chunks: number;
      message: string;
    }
  /**
   * A root folder was found at a new place (moved or re-mounted: same files, same content): its
   * `documents` are now cited there, and nothing was indexed again.
   */
  | { kind: "root-moved"; from: string; to: string; documents: number; message: string }
  /** Files passed over in this configuration (e.g. images without an API key), by reason. */
  | { kind: "files-skipped"; count: number; reason: string; message: string }
  /** Finished Batch API jobs whose documents this run wrote first. */
  | { kind: "batch-collected"; jobs: string[]; documents: number; message: string }
  /** A Batch API job failed, expired or was cancelled: its documents are indexed again. */
  | { kind: "batch-dropped"; job: string; message: string }
  /** This run parked documents in a new Batch API job; a later run (or collectBatches) writes them. */
  | { kind: "batch-submitted"; job: string; batchId: string; inputs: number; documents: number; message: string }
  /** Files that failed in an earlier run are unchanged and were not tried again (`retryFailed` tries them). */
  | { kind: "failed-files-kept"; count: number; message: string }
  /** The run sized and paced its embedding requests to a per-minute quota the service named in a 429. */
  | { kind: "quota-learned"; rpm?: number; tpm?: number; message: string }
  /**
   * Vectors an interrupted run paid for and could not commit were taken from the vector log
   * instead of being embedded again.
   */
  | { kind: "vectors-recovered"; count: number; message: string }
  /**
   * Vectors are not made durable as they arrive: the index is not a local folder ("unavailable"),
   * or the log could not be written ("failed", with the reason). A crash re-pays what was not committed.
   */
  | { kind: "vector-log"; problem: "unavailable" | "failed"; reason: string; message: string }
  /** Compaction of a table was skipped (another process compacted it); it runs next time. */
  | { kind: "compaction-skipped"; table: string; message: string }
  /**
   * A sharded run found full-text/ANN indexes or compaction due but left them to the worker holding
   * the maintenance lease (or to optimize()).
   */
  | { kind: "maintenance-deferred"; holder?: string; message: string }
  // Search.
  /** Vector or hybrid search was asked for but is unavailable: lexical search was used. */
  /**
   * Vector or hybrid search was asked for but is unavailable: lexical search was used. Reasons:
   * no API key, an index without vectors, or the model API failing to embed the query (`error`:
   * unreachable, out of quota, key rejected).
   */
  | {
      kind: "lexical-fallback";
      reason: "no-api-key" | "no-vectors" | "model-unavailable";
      error?: ErrorInfo;
      message: string;
    }
  /**
   * The index has no full-text index yet (a run ended before building it, or it was removed):
   * passages were found by scanning chunks for the query's words. Optimizing (or the next index
   * run) builds it; a reader never does.
   */
  | { kind: "full-text-scan"; message: string }
  // Answers and context caches.
  /** The endpoint offers no context caching: pinned documents are sent with every question. */
  | { kind: "cache-unavailable"; message: string }
  /** The pinned context is below the model's context-cache minimum: sent uncached. */
  | { kind: "cache-too-small"; model: string; tokens: number; minimum?: number; message: string }
  /** A context-cache call failed: the context is sent uncached this time. */
  | { kind: "cache-failed"; step: "create" | "refresh"; pinned: boolean; error: string; message: string }
  /** The index's cache registry could not be written or pruned (reuse suffers, answers do not). */
  | { kind: "cache-registry-failed"; step: "record" | "prune"; error: string; message: string }
  // Health (doctor): problems need action, the others are worth knowing.
  /** No index at `uri`. */
  | { kind: "health-no-index"; uri: string; message: string }
  /**
   * The index has another layout version: `migratable` ones are migrated by the next index run
   * (nothing embedded again); others must be rebuilt (reset).
   */
  | { kind: "health-layout-version"; found: number; expected: number; migratable: boolean; message: string }
  /**
   * Documents whose root folder (or file) no longer exists (moved, deleted, unmounted): indexing
   * its new place re-roots them; pruning removes them.
   */
  | { kind: "health-root-missing"; root: string; documents: number; message: string }
  /**
   * A table is gone (`missing`) or cannot be read (`unreadable`: it cannot be opened, or
   * `unreadableRows` of it are in damaged files). A repair rebuilds what can be rebuilt.
   */
  | {
      kind: "health-table";
      table: string;
      problem: "missing" | "unreadable";
      reason?: string;
      unreadableRows: number;
      message: string;
    }
  /**
   * Indexed documents whose chunks are not all there (or are more than the manifest says): a repair re-indexes them.
   */
  /**
   * Indexed documents whose chunks are not all there (or are more than the manifest says): a repair
   * re-indexes them; so does the next index run when the chunks table is readable (`byNextRun`).
   */
  | {
      kind: "health-chunks-missing";
      documents: number;
      missingChunks: number;
      examples: string[];
      byNextRun: boolean;
      message: string;
    }
  /** Extra copies of chunk rows or manifest rows (two writers wrote them): a repair (or the next run) removes them. */
  | { kind: "health-duplicates"; chunkRows: number; documents: number; manifestRows: number; message: string }
  /** Chunk rows of document versions no manifest row describes (`writing`: a run is writing right now). */
  | { kind: "health-orphans"; rows: number; versions: number; writing: boolean; message: string }
  /** Documents whose vectors have missing values: a repair embeds them again. */
  | { kind: "health-vectors-damaged"; documents: number; message: string }
  /** The chunks' vectors were made with another configuration than the index's: rebuild it (reset). */
  | {
      kind: "health-embedding-mismatch";
      index: NoticeEmbedding;
      chunks: { dimensions: number; model?: string } | null;
      message: string;
    }
  /** Documents marked for re-indexing (by a repair): the next index run re-indexes them. */
  | { kind: "health-stale"; documents: number; message: string }
  /** The full-text index is missing or covers too few chunks (the next run or optimize builds it). */
  | { kind: "health-full-text"; present: boolean; coverage: number; unindexed: number; message: string }
  /** An ANN index is needed and missing, or many chunks are outside it (optimize builds it). */
  | { kind: "health-ann"; chunks: number; unindexed: number; present: boolean; message: string }
  /** The chunks table has many small fragments (optimize merges them). */
  | { kind: "health-fragments"; small: number; message: string }
  /** A Batch API job holds documents: collect it (or cancel it once it is past its lifetime). */
  | {
      kind: "health-batch-job";
      job: string;
      batchId?: string;
      state: string;
      documents: number;
      expired: boolean;
      message: string;
    }
  /** Files that could not be indexed (status() lists them). */
  | { kind: "health-failed-files"; count: number; message: string }
  /**
   * The last run ended early (`outcome`) with `filesLeft` files not reached: the index is consistent but incomplete.
   */
  | {
      kind: "health-run-stopped";
      outcome: "stopped" | "interrupted";
      startedAt: string;
      filesLeft: number;
      /** The run ended before discovery had walked every source: `filesLeft` is a lower bound. */
      moreFilesLeft?: boolean;
      error?: ErrorInfo;
      message: string;
    }
  /** A process holds the write lock (`alive`) or left it behind. */
  | { kind: "health-lock"; pid: number; hostname: string; since: string; alive: boolean; message: string }
  /** A writer holds a lease on an index on object storage (`live`), or left one that lapsed. */
  | {
      kind: "health-lease";
      scope: string;
      pid: number;
      hostname: string;
      since: string;
      renewedAt: string;
      live: boolean;
      message: string;
    }
  // Evaluation.
  /** Judgments name queries the queries file lacks: unused. */
  | { kind: "eval-unknown-queries"; count: number; qrels: string; queries: string; message: string }
  /** Judgments name documents the corpus lacks: they count as never retrieved. */
  | { kind: "eval-unknown-documents"; count: number; qrels: string; message: string }
  /** Queries without a relevant judgment are left out of the averages. */
  | { kind: "eval-unjudged-queries"; count: number; message: string }
  /** Corpus documents that could not be indexed (and so cannot be retrieved). */
  | { kind: "eval-failed-documents"; count: number; first?: { path: string; reason: string }; message: string };

/** The kinds of notice. */
export type NoticeKind = Notice["kind"];

/** The facts of one kind of notice, without its kind and message. */
export type NoticeData<K extends NoticeKind> = Omit<Extract<Notice, { kind: K }>, "kind" | "message">;
