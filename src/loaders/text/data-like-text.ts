import type { DocumentSection } from "../types.js";

/** A run of at least this many characters without white space is not a word: base64, a hash, minified code. */
export const LONG_RUN_CHARACTERS = 40;
/** Texts shorter than this are indexed whatever they hold (a config file with one key is still a document). */
const MIN_DATA_CHARACTERS = 4096;
/** Above this share of characters in long runs, a text is data rather than prose or code. */
const DATA_SHARE = 0.5;

/**
 * The share (0…1) of a text's non-white-space characters that sit in runs of at least
 * {@link LONG_RUN_CHARACTERS} characters without white space. Prose and code stay far below a
 * half (words are short, code has spaces and line breaks); base64, hex dumps, minified JSON or
 * JavaScript and data URIs are near 1. One pass over the character codes, no allocation.
 */
export function longRunShare(text: string): number {
  let inRuns = 0;
  let visible = 0;
  let run = 0;
  for (let index = 0; index <= text.length; index++) {
    const code = index < text.length ? text.charCodeAt(index) : 32;
    // Space, tab, line breaks, form feed, no-break space: what separates words.
    if (code === 32 || (code >= 9 && code <= 13) || code === 0xa0) {
      if (run >= LONG_RUN_CHARACTERS) inRuns += run;
      visible += run;
      run = 0;
    } else run++;
  }
  return visible === 0 ? 0 : inRuns / visible;
}

/**
 * Why a document's text is data rather than something to search (a reason for the run report),
 * or undefined when it reads like text. Encoded data costs many times the tokens of prose (each
 * token covers 1–2 characters), tokenizes slowly, and nobody searches base64 by meaning.
 */
export function dataLikeReason(sections: readonly DocumentSection[]): string | undefined {
  const meter = new DataLikeMeter();
  for (const section of sections) meter.add(section.text);
  return meter.reason();
}

/** {@link dataLikeReason} for text seen one section at a time (a file streamed window by window). */
export class DataLikeMeter {
  #characters = 0;
  #weighted = 0;

  add(text: string): void {
    this.#characters += text.length;
    this.#weighted += longRunShare(text) * text.length;
  }

  reason(): string | undefined {
    const characters = this.#characters;
    if (characters < MIN_DATA_CHARACTERS || this.#weighted / characters < DATA_SHARE) return undefined;
    const percent = Math.round((this.#weighted / characters) * 100);
    return (
      `looks like encoded data, not text (base64, minified code or data: ${percent}% of it in runs of ` +
      `${LONG_RUN_CHARACTERS}+ characters without spaces); not indexed`
    );
  }
}
