import { type ErrorData, type ErrorInfo, hasCode, type Notice, type NoticeKind, type RepairAction } from "../index.js";
import { exitCodeOf } from "./exit-codes.js";

/**
 * The CLI's words for the library's facts: error codes and notice kinds whose advice names a flag
 * or a command. Everything else is shown with the library's own message.
 */

/** The flag of each library option an error or notice may name. */
const flags: Record<string, string> = {
  k: "-k",
  dimensions: "--dimensions",
  cachedContent: "--cached-content",
  pin: "--pin",
  reasoningEffort: "--reasoning-effort",
  thinkingBudget: "--thinking-budget",
  batch: "--batch",
  prune: "--prune",
  reset: "--reset",
  uri: "--db",
  agent: "--agent",
  maxSteps: "--max-steps",
  schema: "--schema",
  tier: "--tier",
  rpm: "--rpm",
  tpm: "--tpm",
  retryFailed: "--retry-failed",
  taskTypes: "--task-types",
};

/** `--flag` for a library option name (the name itself when the CLI has no flag for it). */
export function flagOf(option: string): string {
  return flags[option] ?? option;
}

/** An error (thrown, or kept in a report) in the CLI's words: flags and commands instead of option names. */
export function describeError(error: ErrorInfo | { code: string; message: string; data?: unknown }): string {
  if (hasCode(error, "NO_INDEX"))
    return `There is no index at ${error.data.uri} yet: run \`gemindex index <paths>\` first.`;
  if (hasCode(error, "EMBEDDING_MISMATCH"))
    return (
      `The index at ${error.data.uri} is built with ${error.data.built}, not ${error.data.requested}. ` +
      "Run `gemindex index --reset <paths>` to rebuild it with the new model, or use the index's model and dimensions."
    );
  if (hasCode(error, "LAYOUT_VERSION"))
    return (
      `The index at ${error.data.uri} has layout version ${error.data.found}; ` +
      `this gemindex writes version ${error.data.expected}. Re-index with --reset.`
    );
  if (hasCode(error, "NEEDS_API_KEY")) return needsApiKey(error.data, error.message);
  if (hasCode(error, "NO_BATCH_API"))
    return error.data.option
      ? `${flagOf(error.data.option)} ${error.data.value} needs Gemini's native Batch API, which this ` +
          `GEMINI_BASE_URL does not offer.`
      : "This GEMINI_BASE_URL offers no Batch API (it needs Gemini's native Files API).";
  if (hasCode(error, "NO_NATIVE_API"))
    return error.data.uri
      ? `The index at ${error.data.uri} embeds ${error.data.built ?? "with task types"}, ` +
          "which only Gemini's native API " +
          `takes; this GEMINI_BASE_URL (${error.data.baseURL}) offers only OpenAI-compatible endpoints. Point ` +
          "GEMINI_BASE_URL at Gemini, or run `gemindex index --reset <paths>` to rebuild the index with plain text."
      : error.message;
  if (hasCode(error, "CONFLICTING_OPTIONS")) {
    const [first, second] = error.data.options;
    return `Use ${flagOf(first)} or ${flagOf(second)}, not both${error.data.reason ? `: ${error.data.reason}` : ""}.`;
  }
  if (hasCode(error, "INVALID_OPTION"))
    return (
      `${flagOf(error.data.option)} must be ` +
      `${error.data.expected}${error.data.got ? `, got ${error.data.got}` : ""}.`
    );
  if (hasCode(error, "UNKNOWN_MODEL")) return `${error.message} \`gemindex models\` lists the models this key can use.`;
  if (hasCode(error, "INDEX_LOCATION"))
    return `The index location ${error.data.uri} is a file, not a folder: give --db a folder (or a LanceDB URI).`;
  if (hasCode(error, "DAMAGED"))
    return (
      `The index at ${error.data.uri} is damaged ` +
      `(${error.data.tables.map((table) => `${table.table} table ${table.problem}`).join(", ")}): ` +
      "run `gemindex doctor --repair` to repair it, or `gemindex index --reset <paths>` to start over."
    );
  if (hasCode(error, "BATCH_UNKNOWN"))
    return `No batch job ${error.data.id} in this index; see \`gemindex batch list\`.`;
  if (hasCode(error, "CACHE_NOT_FOUND"))
    return (
      `The context cache ${error.data.name} does not exist (it expired or was deleted); see \`gemindex cache ` +
      `list\`.`
    );
  return error.message;
}

/** Codes of a model API that failed (unreachable, out of quota, errors after retries). */
export function providerFailure(code: string): boolean {
  return ["CONNECTION", "PROVIDER", "QUOTA_EXHAUSTED"].includes(code);
}

/**
 * Why a query printed passages but no answer, in query words: the model API failed (see
 * providerFailure) after the index was searched. `notices`: those of the search shown.
 */
export function describeAnswerUnavailable(error: { code: string; message: string }, notices: Notice[]): string {
  const withoutModel = notices.some(
    (notice) => notice.kind === "lexical-fallback" && notice.reason === "model-unavailable",
  );
  const shown = withoutModel
    ? "The passages above were found without the model (full-text search)."
    : "The passages above are the index's best matches.";
  switch (error.code) {
    case "QUOTA_EXHAUSTED":
      return `No answer: the model API's quota is used up (${error.message}). ${shown} Ask again when it resets.`;
    case "CONNECTION":
      return `No answer: ${error.message} ${shown}`;
    default:
      return `No answer: the model API failed (${error.message}). ${shown}`;
  }
}

function needsApiKey(data: ErrorData["NEEDS_API_KEY"], message: string): string {
  switch (data.feature) {
    case "chat":
      return "Chat needs GEMINI_API_KEY (it generates answers); `gemindex query` works without it.";
    case "answers":
      return "Generated answers need GEMINI_API_KEY; `gemindex query --no-answer` works without it.";
    case "batch":
      return data.option ? `${flagOf(data.option)} always needs GEMINI_API_KEY.` : "Batch jobs need GEMINI_API_KEY.";
    case "caches":
      return "Context caches need GEMINI_API_KEY.";
    case "models":
      return "Listing the service's models needs GEMINI_API_KEY.";
    case "index":
      return (
        `The index at ${data.uri} is built with ${data.built} and needs GEMINI_API_KEY to add documents. ` +
        "Set the key, or use another --db for a lexical-only index."
      );
    case "eval": {
      const modes = data.modes ?? [];
      return (
        `${modes.join(" and ")} search need${modes.length === 1 ? "s" : ""} GEMINI_API_KEY; without it only ` +
        `lexical search can be evaluated.`
      );
    }
    default:
      return message;
  }
}

/** The notice kinds the CLI words itself; the others are shown with their message. */
const noticeWords: { [K in NoticeKind]?: (notice: Extract<Notice, { kind: K }>) => string } = {
  "lexical-only": () => "No GEMINI_API_KEY: indexed for lexical (BM25) search only.",
  "lexical-fallback": (notice) =>
    notice.reason === "no-api-key"
      ? "No GEMINI_API_KEY: using lexical (BM25) search."
      : notice.reason === "model-unavailable"
        ? "The model API could not embed the question: these passages come from full-text search only."
        : notice.message,
  "removals-kept": (notice) =>
    notice.reason === "root-unreadable"
      ? `${notice.root} could not be read: kept its ${notice.documents} documents (use --prune to remove them).`
      : `${notice.gone} of ${notice.documents} documents under ${notice.root} are gone: kept them to be safe ` +
        "(use --prune to remove them).",
  "batch-submitted": (notice) =>
    `Submitted batch job ${notice.job} (${notice.batchId}) for ${notice.inputs} chunks of ${notice.documents} ` +
    "documents; the next run (or `gemindex batch collect`) writes them once it finishes.",
  "pairing-available": (notice) =>
    `This index embeds documents and queries as plain text (it was built that way); new indexes embed documents ` +
    `${notice.available}, the pairing Google documents for retrieval. \`gemindex index --reset <paths>\` rebuilds ` +
    "it that way (every document is embedded again).",
  "full-text-scan": () =>
    "This index has no full-text index yet, so passages were found by scanning for the query's words; " +
    "`gemindex optimize` (or the next `gemindex index` run) builds it.",
  "health-no-index": (notice) => `There is no index at ${notice.uri}: run \`gemindex index <paths>\`.`,
  "health-layout-version": (notice) =>
    notice.migratable
      ? `The index has layout version ${notice.found}: the next \`gemindex index\` run migrates it to ` +
        `${notice.expected} (nothing is embedded again).`
      : `The index has layout version ${notice.found}; this gemindex needs ${notice.expected}: ` +
        "re-index with `gemindex index --reset <paths>`.",
  "health-root-missing": (notice) =>
    `${notice.documents} documents were indexed from ${notice.root}, which no longer exists: ` +
    "if it moved, `gemindex index <new place>` finds them there (nothing is embedded again); " +
    "if it is gone, `gemindex doctor --prune-missing` removes them.",
  "root-moved": (notice) =>
    `${notice.from} is now at ${notice.to}: its ${notice.documents} documents are cited there ` +
    "(nothing was indexed again).",
  "chunks-reconciled": (notice) =>
    `${[
      notice.incomplete > 0
        ? `${notice.incomplete} documents whose chunks were missing were indexed again (their files had not changed)`
        : "",
      notice.duplicates > 0 ? `${notice.duplicates} duplicate chunk rows (written twice) were removed` : "",
    ]
      .filter(Boolean)
      .join("; ")}.`,
  "health-table": (notice) =>
    notice.problem === "missing"
      ? `The ${notice.table} table is missing (its folder is gone): run \`gemindex doctor --repair\` ` +
        `(${tableRepair(notice.table)}).`
      : `The ${notice.table} table cannot be read ` +
        (`(${notice.unreadableRows ? `${notice.unreadableRows} rows in damaged files` : "it cannot be opened"}: ` +
          `${notice.reason}): `) +
        (`run \`gemindex doctor --repair\` (it keeps what can be ` +
          `read${notice.table === "chunks" ? " and re-indexes the rest" : ""}).`),
  "health-chunks-missing": (notice) =>
    `${notice.documents} documents are missing ${notice.missingChunks} chunks (e.g. ${notice.examples[0]}): ` +
    `run \`gemindex doctor --repair\` to re-index them` +
    `${notice.byNextRun ? " (the next `gemindex index` run does too)" : ""}.`,
  "health-duplicates": (notice) =>
    `${notice.chunkRows} chunk rows (in ${notice.documents} ` +
    `documents)${notice.manifestRows ? ` and ${notice.manifestRows} manifest rows` : ""} ` +
    ("are extra copies (two writers wrote them): run `gemindex doctor --repair` (the next `gemindex index` run " +
      "removes them too)."),
  "health-orphans": (notice) =>
    notice.writing
      ? `${notice.rows} chunk rows belong to no indexed document yet (a run is writing right now).`
      : `${notice.rows} chunk rows of ${notice.versions} document versions belong to no indexed document ` +
        "(left by an interrupted run): run `gemindex doctor --repair`.",
  "health-vectors-damaged": (notice) =>
    `${notice.documents} documents have damaged vectors: run \`gemindex doctor --repair\` (it embeds them again).`,
  "health-embedding-mismatch": (notice) => {
    const made = notice.chunks
      ? `${notice.chunks.model ?? "an unknown model"} (${notice.chunks.dimensions} dimensions)`
      : "no model";
    const index = notice.index
      ? `${notice.index.model} (${notice.index.dimensions} dimensions)`
      : "lexical search only";
    return (
      `The chunks' vectors were made with ${made}, but the index is set up for ${index}: ` +
      "rebuild it with `gemindex index --reset <paths>`."
    );
  },
  "health-stale": (notice) =>
    `${notice.documents} documents wait to be re-indexed: run \`gemindex index <paths>\` (or \`gemindex doctor ` +
    `--repair\`).`,
  "health-full-text": (notice) =>
    !notice.present
      ? "There is no full-text index, so lexical search scans every chunk: the next `gemindex index` run builds it " +
        "(a run ended before it could), or run `gemindex optimize`."
      : `${notice.unindexed} chunks are outside the full-text index (${(notice.coverage * 100).toFixed(0)}% ` +
        "covered; the others are searched more slowly): run `gemindex optimize` (the next run folds them in too).",
  "health-ann": (notice) =>
    notice.present
      ? `${notice.unindexed} chunks are outside the ANN index (searched exactly); the next run or ` +
        "`gemindex optimize` rebuilds it."
      : `${notice.chunks} chunks and no ANN index: vector search is exact and slow. The next \`gemindex index\` ` +
        `run builds it (or run \`gemindex optimize\`).`,
  "health-fragments": (notice) =>
    `The chunks table has ${notice.small} small fragments: \`gemindex optimize\` merges them.`,
  "health-batch-job": (notice) =>
    notice.expired
      ? `Batch job ${notice.job} (${notice.batchId ?? "not submitted"}) is older than 48 hours: ` +
        `run \`gemindex batch collect\` or \`gemindex batch cancel ${notice.job}\`.`
      : `Batch job ${notice.job} (${notice.state}) holds ${notice.documents} documents: ` +
        "`gemindex batch collect` writes them once it finishes.",
  "health-failed-files": (notice) => `${notice.count} files could not be indexed (see \`gemindex status\`).`,
  "health-run-stopped": (notice) =>
    `The last run (${notice.startedAt}) ${notice.outcome} early with ` +
    `${notice.moreFilesLeft ? "at least " : ""}${notice.filesLeft} file(s) left` +
    `${notice.error ? ` (${describeError(notice.error)})` : ""}: run \`gemindex index\` again to finish.`,
  "failed-files-kept": (notice) =>
    `${notice.count} file(s) that failed before are unchanged and were not tried again ` +
    "(see `gemindex status`; --retry-failed tries them).",
  "quota-learned": (notice) =>
    `Sized requests to the embedding quota the service named: ${[
      notice.rpm === undefined ? "" : `${notice.rpm} requests (inputs) per minute`,
      notice.tpm === undefined ? "" : `${notice.tpm} tokens per minute`,
    ]
      .filter(Boolean)
      .join(", ")} (start with it next time: --tier, or --rpm/--tpm).`,
};

function tableRepair(table: string): string {
  if (table === "chunks") return "it re-indexes the documents, reusing any vectors still present";
  if (table === "documents") return "it rebuilds the list of documents from the chunks";
  return "it restores the index's settings from the chunks";
}

/** One thing `doctor --repair` did, in a few words. */
export function describeRepairAction(action: RepairAction): string {
  const data = action.data;
  switch (action.code) {
    case "table-recreated":
      return `the ${data.table} table was made again`;
    case "table-salvaged":
      return `the ${data.table} table was rewritten from its readable rows (${data.kept} kept, ${data.lost} lost)`;
    case "meta-restored": {
      const embedding = data.embedding ? (data.embedding as { model: string }).model : "lexical only";
      const source = data.assumed ? "assumed from the current configuration" : "from the vectors' fingerprint";
      return `the index's settings were restored (${embedding}, ${source})`;
    }
    case "manifest-rebuilt":
      return `${data.documents} manifest rows were rebuilt from the chunks (their files are re-read, not re-embedded)`;
    case "duplicates-removed":
      return `${data.rows} duplicate chunk rows were removed`;
    case "manifest-duplicates-removed":
      return `${data.rows} duplicate manifest rows were removed`;
    case "orphans-removed":
      return `${data.rows} chunk rows of no indexed document were removed`;
    case "documents-marked-stale":
      return `${data.documents} documents whose chunks were lost are to be re-indexed`;
  }
}

/** A notice in the CLI's words. */
export function describeNotice(notice: Notice): string {
  const words = noticeWords[notice.kind] as ((notice: Notice) => string) | undefined;
  return words ? words(notice) : notice.message;
}

/** A notice as `--json` prints it: its kind and facts, with the CLI's words as `message`. */
export function jsonNotice(notice: Notice): Notice {
  return { ...notice, message: describeNotice(notice) };
}

/** A run report as `--json` prints it: notices and the error in the CLI's words. */
export function jsonReport<T extends { notices: Notice[]; error?: ErrorInfo }>(report: T): T {
  return {
    ...report,
    notices: report.notices.map(jsonNotice),
    ...(report.error ? { error: jsonError(report.error) } : {}),
  };
}

/** An error as `--json` prints it: code and facts, the CLI's words as `message`, and the exit code. */
export function jsonError(error: ErrorInfo): ErrorInfo & { exitCode: number } {
  return { ...error, message: describeError(error), exitCode: exitCodeOf(error.code) };
}
