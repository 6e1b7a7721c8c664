import type { ChunkOptions } from "../chunking/types.js";
import type { QuotaTier } from "../embedding/quota-tiers.js";
import type { ErrorInfo } from "../errors.js";
import type { LoadWarning } from "../loaders/warnings.js";
import type { Notice } from "../notices.js";
import type { EmbeddingConfig } from "../providers/types.js";
import type { SkippedEntry } from "../sources/types.js";

/** A folder or file to index, with patterns of its own (relative to it, .gitignore syntax). */
export interface IndexSource {
  /**
   * A folder, a file, or a glob pattern (`docs/**\/*.md`, relative to `cwd`): a pattern is expanded
   * with fast-glob, never following symbolic links, and the default excludes and ignore files still
   * apply. A path that exists as written is a path, whatever its characters.
   */
  root: string;
  include?: string[];
  exclude?: string[];
}

/** One file that could not be indexed, and why. */
export interface FileFailure {
  path: string;
  reason: string;
}

/**
 * Something a file's load noted without failing it: `kind` "converted" (read whole in another
 * form: a converted image, a fallback encoding) or "incomplete" (part of it is not in the index:
 * a left-out linked image, an unreadable page).
 */
export interface FileWarning extends LoadWarning {
  path: string;
}

/** What an index run did; printed at the end of `gemindex index` and returned by `index()`. */
export interface IndexReport {
  /**
   * "completed"; "stopped" when a run-level fault ended it early (bad key, unreachable service,
   * daily quota); "interrupted" by its signal. Finished work is committed either way, and the next
   * run continues with the files left.
   */
  outcome: "completed" | "stopped" | "interrupted";
  /** Why the run ended early. */
  error?: ErrorInfo;
  /** Files that needed (re)indexing and were not reached because the run ended early (0 when completed). */
  filesLeft: number;
  /**
   * True when the run ended before discovery had walked every source: `filesLeft` counts the
   * files found by then, and more may be left.
   */
  moreFilesLeft?: boolean;
  /** The index's location. */
  uri: string;
  /** null for a lexical-only index. */
  embedding: EmbeddingConfig | null;
  files: {
    /** Files discovery found. */
    seen: number;
    new: number;
    changed: number;
    unchanged: number;
    removed: number;
    failed: number;
    /** Files inside folders passed over because no loader handles their type. */
    skipped: number;
  };
  failures: FileFailure[];
  /** Files indexed with a caveat, and what it is. */
  warnings: FileWarning[];
  /**
   * Entries discovery passed over on purpose, by `code`: links leading out of the indexed folder
   * (`symlink-outside-root`, not followed without `followSymlinks`), FIFOs, sockets and devices
   * (`special-file`), pseudo-file-systems such as /proc (`pseudo-file-system`). Not failures.
   */
  passedOver: SkippedEntry[];
  chunks: {
    /** Chunks written for new and changed documents. */
    written: number;
    /** Chunks embedded by the API in this run. */
    embedded: number;
    /** Chunks whose vector was reused (same text already embedded with this configuration). */
    reused: number;
  };
  /** Embedding requests sent. */
  requests: number;
  /** Tokens embedded (estimated where the service does not report them). */
  tokens: number;
  /** Estimated cost of this run's embedding requests at list price, in USD (absent when the price is unknown). */
  estimatedCostUsd?: number;
  durationMs: number;
  /** Batch API work of this run: jobs collected at its start, the job it submitted, documents still waiting. */
  batch?: {
    collected: { jobs: string[]; documents: number; chunks: number; retried: number };
    submitted?: { job: string; batchId: string; documents: number; inputs: number };
    /** Documents waiting in jobs still running at the service. */
    waiting: number;
    running: string[];
  };
  /** Things the user should know (no API key: lexical index only; removals kept: a root is missing). */
  notices: Notice[];
  /** A sharded run: which shard, and how many files discovery found that belong to other shards. */
  shard?: { index: number; count: number; otherFiles: number };
  startedAt: string;
}

/** Progress snapshots during a run; the CLI draws them on a TTY. */
export interface IndexProgress {
  phase: "collecting" | "scanning" | "indexing" | "submitting" | "removing" | "optimizing" | "done";
  filesSeen: number;
  /** Files that need (re)indexing, known so far. */
  filesToIndex: number;
  filesIndexed: number;
  chunksEmbedded: number;
  requests: number;
  tokens: number;
  /** Set while the run waits before sending more: pacing to a quota, or retrying after a refusal. */
  waiting?: RunWait;
}

/** A wait of the run, as progress reports it. */
export interface RunWait {
  /**
   * "pacing": spacing requests to stay within a per-minute quota; "rate-limited": the service
   * answered 429 and asked to wait; "retrying": a server error or timeout is retried after a backoff.
   */
  cause: "pacing" | "rate-limited" | "retrying";
  delayMs: number;
  /** When sending resumes (ISO 8601). */
  resumeAt: string;
  /** For pacing: the per-minute limit being kept. */
  quota?: { unit: "requests" | "tokens"; perMinute: number };
  /** For rate-limited and retrying: the service's message. */
  message?: string;
}

export interface IndexOptions {
  /** Only files matching these globs (relative to each root). */
  include?: string[];
  /** Files matching these globs are skipped (in addition to .gitignore). */
  exclude?: string[];
  /**
   * Follow symbolic links that lead out of the folder being indexed. Off by default: a link to
   * `/etc` or `~/.ssh` inside a docs folder would send that content to the embedding service
   * and quote it in answers; such links are listed in `IndexReport.passedOver` instead. Links
   * inside the folder are followed either way. @default false
   */
  followSymlinks?: boolean;
  chunking?: ChunkOptions;
  /** Skip files larger than this. @default 50 MiB */
  maxFileBytes?: number;
  /**
   * Most embedding requests in flight. A run starts with 4 and adds one for each request that
   * succeeds without waiting for the quota, up to this cap (and what `rpm`/`tpm` or a quota the
   * service named admit); a 429 naming a per-minute quota halves it. @default 32
   */
  concurrency?: number;
  /**
   * Embedding requests per minute to stay under (your quota). For Gemini every input of a request
   * counts as one. Wins over `tier`. @default the tier's, else none until the service names its quota
   */
  rpm?: number;
  /**
   * Embedding tokens per minute to stay under; no request holds more than an eighth of it. Wins over
   * `tier`. @default the tier's, else none until the service names its quota
   */
  tpm?: number;
  /**
   * Presets `rpm` and `tpm` to a Gemini usage tier's published embedding limits: "free" (100 RPM,
   * 30,000 TPM, 1,000 a day), "1" (3,000 RPM, 1M TPM), "2" (5,000 RPM, 5M TPM), "3" (10,000 RPM, 10M
   * TPM). Without it (and without rpm/tpm) requests are sized down to the quota a 429 names.
   */
  tier?: QuotaTier;
  /**
   * Retry files that failed in an earlier run although they did not change (a file that failed is
   * otherwise retried only once it changes). @default false
   */
  retryFailed?: boolean;
  /** Stop once this run's estimated embedding cost (list price) would pass this many USD. @default no limit */
  maxCostUsd?: number;
  /**
   * When to embed through the Batch API (half price, results within 24 h): "auto" once more than
   * `batchThreshold` chunks need embedding, "always", or "never". Needs Gemini's native API.
   * @default "auto"
   */
  batch?: "auto" | "always" | "never";
  /**
   * Chunks needing embedding above which "auto" uses the Batch API for the run's documents. The
   * first documents, up to a tenth of it, are embedded at once while the run finds out (so small
   * runs embed while they load). @default 20000
   */
  batchThreshold?: number;
  /** Chunks with vectors above which the run builds an ANN index. @default 20000 */
  annThreshold?: number;
  /**
   * Collect garbage between commits once the heap passes 80 MB, which keeps a 100k-chunk run near
   * 450 MB instead of ~535 MB for ~5% more time. The CLI turns it on; a library user whose own
   * process holds a large heap may prefer V8's defaults. @default false
   */
  collectGarbage?: boolean;
  /**
   * Commit after this many chunks are ready: smaller loses less paid work to a crash, larger writes faster.
   * A document with more chunks than this, or than 500, is committed in parts of that size (its text
   * read and chunked a window at a time when it is a plain-text, code or Markdown file above 4 MiB):
   * readers see its previous version until the last part is written, and a run killed in between
   * leaves the parts written for the next run. @default 2000
   */
  commitEvery?: number;
  /** Drop the index and rebuild it (needed to change the embedding model or dimensions). */
  reset?: boolean;
  /** Allow removing documents even when a root vanished or most of its files disappeared. */
  prune?: boolean;
  /**
   * This run is worker `index` of `count` (0-based) that index the same sources into one index at
   * once: every worker discovers all files but embeds, writes and removes only the documents whose
   * path hash falls in its shard, so `count` workers build what one unsharded run builds. On an
   * index on object storage each shard holds its own lease (workers of different shards run side by
   * side); shared upkeep (full-text and ANN indexes, compaction) is done by the worker that finds it
   * due and gets the maintenance lease, or by optimize(). A local index takes its one write lock.
   * Cannot be combined with `reset`.
   */
  shard?: { index: number; count: number };
  /**
   * Stops the run gracefully: no new file is started and no new request sent; requests in flight
   * complete, finished documents are committed, and the report's outcome is "interrupted".
   */
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
}
