/**
 * SSE chunks as Gemini's compat layer sends them (https://ai.google.dev/gemini-api/docs/openai): `role:"assistant"` in
 * every
 * delta, running `usage` on every chunk, no empty-choices usage chunk, a tool call complete in one
 * chunk without `index`, `finish_reason` on the last chunk, and on Gemini 3 a final empty-content
 * chunk carrying `extra_content.google.thought_signature`.
 */
import type { JsonObject } from "../fields.js";
import { estimateTokens } from "../tokens.js";
import type { EmulatorOptions } from "../types.js";
import { type ChatReply, usageJson } from "./reply.js";
import type { ChatJob } from "./request.js";

const WORDS_PER_CHUNK = 3;

/** Split into pieces of a few words each; joining them gives `text` back. */
export function splitWords(text: string, perChunk = WORDS_PER_CHUNK): string[] {
  const words = text.match(/\s*\S+/g) ?? [];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += perChunk) pieces.push(words.slice(i, i + perChunk).join(""));
  const rest = text.slice(pieces.join("").length);
  if (rest !== "") {
    if (pieces.length === 0) pieces.push(rest);
    else pieces[pieces.length - 1] += rest;
  }
  return pieces;
}

export function streamChunks(reply: ChatReply, job: ChatJob, options: EmulatorOptions): JsonObject[] {
  const base = { created: reply.created, id: reply.id, model: reply.model, object: "chat.completion.chunk" };
  const chunks: JsonObject[] = [];
  for (let index = 0; index < job.n; index++) {
    type Delta = { delta: JsonObject; emitted: string };
    const deltas: Delta[] = [];
    let emitted = "";
    for (const piece of reply.thought === undefined ? [] : splitWords(reply.thought, 4)) {
      deltas.push({
        delta: { content: piece, role: "assistant", extra_content: { google: { thought: true } } },
        emitted,
      });
    }
    for (const piece of splitWords(reply.text)) {
      emitted += piece;
      deltas.push({ delta: { content: piece, role: "assistant" }, emitted });
    }
    if (reply.toolCalls.length > 0) {
      // The whole call arrives at once and, unlike OpenAI, without tool_calls[].index.
      deltas.push({ delta: { role: "assistant", tool_calls: reply.toolCalls }, emitted });
    }
    if (reply.thoughtSignature !== undefined || deltas.length === 0) {
      const google =
        reply.thoughtSignature === undefined ? undefined : { google: { thought_signature: reply.thoughtSignature } };
      deltas.push({ delta: { content: "", role: "assistant", ...(google ? { extra_content: google } : {}) }, emitted });
    }
    deltas.forEach(({ delta, emitted: soFar }, i) => {
      const last = i === deltas.length - 1;
      const completion = last ? reply.usage.completion : Math.min(reply.usage.completion, estimateTokens(soFar));
      chunks.push({
        choices: [{ delta, ...(last ? { finish_reason: reply.finishReason } : {}), index }],
        ...base,
        usage: usageJson(reply.usage, options, completion),
      });
    });
  }
  return chunks;
}
