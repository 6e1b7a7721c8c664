import { ConfigError } from "../../errors.js";

/** The real service's compat base URL. */
export const defaultGeminiBaseURL = "https://generativelanguage.googleapis.com/v1beta/openai/";

/** Where each family of Gemini endpoints lives, all derived from one base URL. */
export interface GeminiEndpoints {
  /** OpenAI-compatible base, with a trailing slash (`…/v1beta/openai/`). */
  compat: string;
  /** Native REST base (`…/v1beta/`), or undefined when the base URL is not Gemini-shaped. */
  native?: string;
  /** Resumable upload endpoint (`…/upload/v1beta/files`). */
  upload?: string;
  /** Download URL of a file id (`files/abc` or `abc`). */
  download?: (fileName: string) => string;
}

/**
 * Derives the native endpoints exactly as the real service lays them out:
 * `…/v1beta/openai/` → native `…/v1beta/`, upload `…/upload/v1beta/files`,
 * download `…/download/v1beta/files/{id}:download?alt=media`. A base URL without the
 * `/<version>/openai` tail (any other OpenAI-compatible server) gets compat only.
 */
export function deriveEndpoints(baseURL: string): GeminiEndpoints {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch (error) {
    throw new ConfigError(`GEMINI_BASE_URL is not a valid URL: ${JSON.stringify(baseURL)}`, { cause: error });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`GEMINI_BASE_URL must be an http(s) URL, got ${url.protocol}`);
  }
  url.search = "";
  url.hash = "";
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  const compat = `${url.origin}${path}`;
  const match = /^(.*\/)(v\d+[a-z0-9]*)\/openai\/$/.exec(path);
  if (!match) return { compat };
  const [, prefix, version] = match as unknown as [string, string, string];
  const native = `${url.origin}${prefix}${version}/`;
  const download = (fileName: string) => {
    const id = fileName.replace(/^files\//, "");
    return `${url.origin}${prefix}download/${version}/files/${encodeURIComponent(id)}:download?alt=media`;
  };
  return { compat, native, upload: `${url.origin}${prefix}upload/${version}/files`, download };
}
