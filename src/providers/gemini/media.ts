import { ProviderError } from "../../errors.js";
import type { MediaDescriber, MediaInput, TranscriptSegment } from "../types.js";
import type { GeminiClient } from "./client.js";

const captionInstruction = [
  "You write the text a search index stores for an image.",
  "Describe what the image shows in 2 to 6 plain sentences: the subject, the setting, and what a person searching " +
    "for it would call it.",
  "If the image contains text (a screenshot, a slide, a scanned page, a chart's labels), copy that text verbatim " +
    "after the description, under the line 'Text:'.",
  "For charts and diagrams, give the key values or relations. No preamble, no markdown headings.",
].join("\n");

const transcriptInstruction = [
  "Transcribe this audio verbatim for a search index.",
  "Write one line per sentence or short passage, each starting with its start time in square brackets, like " +
    "[00:00] or [01:02:03].",
  "Mark speakers only when several speak (e.g. 'Speaker 1:'). No summary, no commentary.",
].join("\n");

const pageInstruction = [
  "This image is one page of a scanned document. Transcribe its text verbatim for a search index, in reading order.",
  "Keep headings, paragraphs and list items on their own lines; write tables as Markdown tables.",
  "Do not translate, summarise or comment. If the page holds no text, describe what it shows in one sentence.",
].join("\n");

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

function audioFormat(mimeType: string): string {
  if (/wav/.test(mimeType)) return "wav";
  if (/mpeg|mp3/.test(mimeType)) return "mp3";
  return mimeType.replace(/^audio\//, "");
}

/** Parses `[mm:ss] text` / `[hh:mm:ss] text` lines; text without any timestamp becomes one segment at 0. */
export function parseTranscript(text: string): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:\.\d+)?\]\s*(.*)$/.exec(line);
    if (match) {
      const [, hours, minutes, seconds, rest] = match;
      segments.push({ start: Number(hours ?? 0) * 3600 + Number(minutes) * 60 + Number(seconds), text: rest!.trim() });
    } else if (line.trim() && segments.length > 0) {
      segments[segments.length - 1]!.text += ` ${line.trim()}`;
    } else if (line.trim()) {
      segments.push({ start: 0, text: line.trim() });
    }
  }
  for (let i = 0; i < segments.length - 1; i++) segments[i]!.end = segments[i + 1]!.start;
  return segments.filter((segment) => segment.text !== "");
}

/**
 * Image captions and audio transcripts from a Gemini chat model through the compat endpoint
 * (`image_url` with a data URI, `input_audio` with base64: the compat layer takes media inline only).
 */
export function createGeminiMediaDescriber(client: GeminiClient, model: string): MediaDescriber {
  async function complete(
    operation: string,
    content: unknown[],
    system: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const response = await client.call(
      operation,
      (_attempt, scoped) =>
        client.openai.chat.completions.create(
          {
            model,
            messages: [
              { role: "system", content: system },
              { role: "user", content },
            ],
          } as unknown as Parameters<typeof client.openai.chat.completions.create>[0] & { stream?: false },
          { signal: scoped },
        ),
      signal,
    );
    const choice = response.choices[0];
    const text = choice?.message?.content?.replace(/<thought>[\s\S]*?<\/thought>/g, "").trim();
    if (!text) {
      const reason = choice?.finish_reason ? ` (finish reason: ${choice.finish_reason})` : "";
      // The model read the input and gave nothing back (a safety stop, …): that input's failure.
      throw new ProviderError(`${operation}: the model returned no text${reason}.`, { operation }, "NO_OUTPUT");
    }
    return text;
  }
  return {
    model,
    async describeImage(image: MediaInput, context, options = {}) {
      const hints = [
        `File: ${context.name}`,
        context.alt ? `Alt text: ${context.alt}` : "",
        context.headings?.length ? `Appears under: ${context.headings.join(" > ")}` : "",
      ]
        .filter(Boolean)
        .join("\n");
      return complete(
        "image caption",
        [
          { type: "text", text: hints },
          { type: "image_url", image_url: { url: `data:${image.mimeType};base64,${base64(image.data)}` } },
        ],
        captionInstruction,
        options.signal,
      );
    },
    async transcribePage(image: MediaInput, context, options = {}) {
      return complete(
        "page transcription",
        [
          { type: "text", text: `File: ${context.name}, page ${context.page}` },
          { type: "image_url", image_url: { url: `data:${image.mimeType};base64,${base64(image.data)}` } },
        ],
        pageInstruction,
        options.signal,
      );
    },
    async transcribeAudio(audio: MediaInput, context, options = {}) {
      const text = await complete(
        "audio transcript",
        [
          { type: "text", text: `File: ${context.name}` },
          { type: "input_audio", input_audio: { data: base64(audio.data), format: audioFormat(audio.mimeType) } },
        ],
        transcriptInstruction,
        options.signal,
      );
      return parseTranscript(text);
    },
  };
}
