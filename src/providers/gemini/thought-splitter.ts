/**
 * Separates `<thought>…</thought>` blocks from answer text in a stream whose chunks may cut a tag
 * anywhere. Gemini's compat layer returns thought summaries inside `content` wrapped in these
 * tags (https://ai.google.dev/gemini-api/docs/thinking), so an answer must never show them as text.
 */
export class ThoughtSplitter {
  #buffer = "";
  #inThought = false;

  /** Feeds a chunk; returns the pieces that are now certain. */
  push(chunk: string): Array<{ thought: boolean; text: string }> {
    this.#buffer += chunk;
    const out: Array<{ thought: boolean; text: string }> = [];
    for (;;) {
      const tag = this.#inThought ? "</thought>" : "<thought>";
      const at = this.#buffer.indexOf(tag);
      if (at >= 0) {
        this.#emit(out, this.#buffer.slice(0, at));
        this.#buffer = this.#buffer.slice(at + tag.length);
        this.#inThought = !this.#inThought;
        continue;
      }
      // Hold back a tail that could be the start of a tag cut by the chunk boundary.
      const keep = partialTagLength(this.#buffer, tag);
      this.#emit(out, this.#buffer.slice(0, this.#buffer.length - keep));
      this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
      return out;
    }
  }

  /** Flushes whatever is held back at the end of the stream. */
  end(): Array<{ thought: boolean; text: string }> {
    const out: Array<{ thought: boolean; text: string }> = [];
    this.#emit(out, this.#buffer);
    this.#buffer = "";
    return out;
  }

  #emit(out: Array<{ thought: boolean; text: string }>, text: string): void {
    if (text) out.push({ thought: this.#inThought, text });
  }
}

function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}
