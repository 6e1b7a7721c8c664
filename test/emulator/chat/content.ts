/**
 * Chat messages and their parts (https://ai.google.dev/gemini-api/docs/openai): text, inline `image_url` data URIs
 * (PNG, JPEG,
 * WebP, HEIC, HEIF only, and the bytes must be that type) and `input_audio`; remote image URLs
 * are refused unless the option allows them.
 */
import { invalidArgument } from "../errors.js";
import { invalidValue, isObject, type JsonObject } from "../fields.js";
import { CHAT_IMAGE_TYPES, checkImage } from "../images.js";
import type { EmulatorOptions } from "../types.js";

export interface ParsedMessage {
  role: string;
  text: string;
  /** Tokens for images/audio (258 per image, as Gemini counts). */
  mediaTokens: number;
  toolCalls: JsonObject[];
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
const AUDIO_FORMATS = new Set(["wav", "mp3", "aiff", "aac", "ogg", "flac"]);
const DATA_URI = /^data:([\w.+-]+\/[\w.+-]+);base64,([A-Za-z0-9+/=\s]*)$/;
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;
const IMAGE_TOKENS = 258;

function imageTokens(part: JsonObject, at: string, options: EmulatorOptions): number {
  const image = part.image_url;
  const url = isObject(image) ? image.url : image;
  if (typeof url !== "string") throw invalidValue(`${at}.image_url.url`, "string", url ?? null);
  if (/^https?:\/\//i.test(url)) {
    if ((options.remoteImageUrls ?? "reject") === "accept") return IMAGE_TOKENS;
    throw invalidArgument(
      `Invalid image_url at '${at}': only inline data URIs (data:<mime>;base64,<data>) are supported.`,
    );
  }
  const match = DATA_URI.exec(url);
  if (!match) throw invalidArgument(`Invalid image_url at '${at}': expected a base64 data URI.`);
  checkImage(match[1]!, Buffer.from(match[2]!, "base64"), CHAT_IMAGE_TYPES);
  return IMAGE_TOKENS;
}

function audioTokens(part: JsonObject, at: string): number {
  const audio = part.input_audio;
  if (!isObject(audio)) throw invalidValue(`${at}.input_audio`, "object", audio ?? null);
  if (typeof audio.data !== "string" || !BASE64.test(audio.data))
    throw invalidValue(`${at}.input_audio.data`, "string", audio.data ?? null);
  if (typeof audio.format !== "string" || !AUDIO_FORMATS.has(audio.format)) {
    throw invalidArgument(`Unsupported input_audio format: ${String(audio.format)}`);
  }
  // ~32 tokens per second of 16 kHz 16-bit audio.
  return Math.max(1, Math.ceil((audio.data.length * 0.75) / 32_000) * 32);
}

function parseParts(parts: unknown[], at: string, options: EmulatorOptions): { text: string; mediaTokens: number } {
  const texts: string[] = [];
  let mediaTokens = 0;
  parts.forEach((part, i) => {
    const partAt = `${at}[${i}]`;
    if (!isObject(part)) throw invalidValue(partAt, "object", part);
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw invalidValue(`${partAt}.text`, "string", part.text ?? null);
        texts.push(part.text);
        break;
      case "image_url":
        mediaTokens += imageTokens(part, partAt, options);
        break;
      case "input_audio":
        mediaTokens += audioTokens(part, partAt);
        break;
      case "file":
        if (!options.acceptUnconfirmedParams) {
          throw invalidArgument(`Invalid content part type at '${partAt}': ${JSON.stringify(part.type)}`);
        }
        mediaTokens += IMAGE_TOKENS;
        break;
      default:
        throw invalidArgument(`Invalid content part type at '${partAt}': ${JSON.stringify(part.type)}`);
    }
  });
  return { text: texts.join("\n"), mediaTokens };
}

export function parseMessages(messages: unknown, options: EmulatorOptions): ParsedMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidArgument("* GenerateContentRequest.contents: contents is not specified");
  }
  return messages.map((message, i) => {
    const at = `messages[${i}]`;
    if (!isObject(message)) throw invalidValue(at, "object", message);
    if (typeof message.role !== "string" || !ROLES.has(message.role)) {
      throw invalidArgument(`Invalid value at '${at}.role', ${JSON.stringify(message.role ?? null)}`);
    }
    const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isObject) : [];
    const content = message.content;
    if (content === undefined || content === null) {
      if (message.role !== "assistant" || toolCalls.length === 0) {
        throw invalidArgument(`* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`);
      }
      return { role: message.role, text: "", mediaTokens: 0, toolCalls };
    }
    if (typeof content === "string") return { role: message.role, text: content, mediaTokens: 0, toolCalls };
    if (!Array.isArray(content)) throw invalidValue(`${at}.content`, "string", content);
    return { role: message.role, ...parseParts(content, `${at}.content`, options), toolCalls };
  });
}
