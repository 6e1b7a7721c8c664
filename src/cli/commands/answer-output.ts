import { type AnswerCacheInfo, type AnswerEvent, type Hit, type PinnedDocument, snippet } from "../../index.js";
import { escapeControl, formatCount, type Output, plural } from "../output.js";

// How answers show on the terminal and in --json, shared by query, query --agent and chat.

/**
 * The line that follows an answer that did not finish normally (undefined when it did): a stream
 * that broke off, the output token limit, a safety stop.
 */
export function describeEnd(event: Extract<AnswerEvent, { type: "done" }>): string | undefined {
  if (event.interrupted) return `the answer above is incomplete. ${event.interrupted.message}`;
  if (event.complete) return undefined;
  if (event.finishReason === "length")
    return "the answer above is incomplete: it reached the model's output token limit (finish reason: length).";
  if (event.finishReason === "content_filter")
    return "the answer above is incomplete: the model's safety filter stopped it (finish reason: content_filter).";
  return (
    `the answer above may be incomplete: the model stopped with finish reason ` +
    `${JSON.stringify(event.finishReason)}.`
  );
}

/** One line per pinned document, labelled as answers cite it. */
export function printPinned(output: Output, pinned: PinnedDocument[]): void {
  for (const document of pinned)
    output.print(
      `[${document.label}] ${escapeControl(document.displayPath)} (pinned: ${plural(document.chunks, "chunk")}, ` +
        `~${formatCount(document.tokens)} tokens)`,
    );
}

/** "context cache cachedContents/x reused (2,345 tokens, expires …)" */
export function describeCache(cache: AnswerCacheInfo): string {
  const details = [
    cache.totalTokens === undefined ? undefined : `${formatCount(cache.totalTokens)} tokens`,
    cache.expireTime ? `expires ${cache.expireTime}` : undefined,
  ].filter(Boolean);
  return `context cache ${cache.name} ${cache.state}${details.length ? ` (${details.join(", ")})` : ""}`;
}

/** The JSON shape of a hit: citation parts spelled out for scripts. */
export function toJsonHit(hit: Hit): Record<string, unknown> {
  return {
    n: hit.rank,
    score: hit.score,
    scores: hit.scores,
    citation: hit.citation,
    path: hit.displayPath,
    absolutePath: hit.path,
    page: hit.page ?? null,
    lines: hit.lineStart === undefined ? null : { start: hit.lineStart, end: hit.lineEnd ?? hit.lineStart },
    headings: hit.headings,
    kind: hit.kind,
    text: hit.text,
  };
}

/** Numbered hits with citations and the best-matching excerpt; offline they are the answer, so more shows. */
export function printHits(output: Output, hits: Hit[], question: string, full: boolean): void {
  if (hits.length === 0) {
    output.print("No passages matched.");
    return;
  }
  for (const hit of hits) {
    const heading = hit.headings.length ? ` — ${escapeControl(hit.headings.join(" > "))}` : "";
    output.print(`[${hit.rank}] ${escapeControl(hit.citation)}${heading}`);
    output.print(`    ${escapeControl(snippet(hit.text, question, full ? 400 : 200))}`);
  }
}
