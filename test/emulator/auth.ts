/**
 * API-key checks (https://ai.google.dev/gemini-api/docs/openai, https://ai.google.dev/gemini-api/docs/troubleshooting):
 * compat takes `Authorization: Bearer <key>`, native takes
 * `x-goog-api-key` or `?key=`. A wrong key is 400 API_KEY_INVALID (401 optionally); no key is 403.
 */
import { BareGoogleApiError, GoogleApiError, type Surface } from "./errors.js";
import type { EmulatorOptions } from "./types.js";

export const DEFAULT_API_KEY = "test-key";

const INVALID_KEY = "API key not valid. Please pass a valid API key.";
const UNREGISTERED =
  "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other " +
  "form of API consumer identity to call this API.";
const OAUTH_EXPECTED =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid " +
  "authentication credential. " +
  "See https://developers.google.com/identity/sign-in/web/devconsole-project.";

export interface Credentials {
  headers: Record<string, string>;
  query: Record<string, string>;
}

function errorInfo(reason: string): Record<string, unknown> {
  return {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    reason,
    domain: "googleapis.com",
    metadata: { service: "generativelanguage.googleapis.com" },
  };
}

function bearer(headers: Record<string, string>): string | undefined {
  const match = /^Bearer\s+(.*)$/i.exec(headers.authorization ?? "");
  return match ? match[1]!.trim() : undefined;
}

/** Throws the Google error for a missing or wrong key; returns the key otherwise. */
export function authenticate(request: Credentials, surface: Surface, options: EmulatorOptions): string {
  const accepted = options.apiKeys ?? [DEFAULT_API_KEY];
  const googKey = request.headers["x-goog-api-key"] ?? request.query.key;
  const bearerKey = bearer(request.headers);
  let key: string | undefined;
  if (surface === "compat") {
    key = bearerKey || googKey;
  } else {
    key = googKey;
    if (!key && bearerKey) {
      if ((options.nativeBearerAuth ?? "reject") === "reject") {
        throw new GoogleApiError(401, OAUTH_EXPECTED, [errorInfo("ACCESS_TOKEN_TYPE_UNSUPPORTED")]);
      }
      key = bearerKey;
    }
  }
  if (!key) {
    const wrapped = surface === "compat" && (options.missingKeyWrapped ?? true);
    const ErrorClass = wrapped ? GoogleApiError : BareGoogleApiError;
    throw new ErrorClass(403, UNREGISTERED, [errorInfo("CONSUMER_INVALID")]);
  }
  if (!accepted.includes(key)) {
    const status = options.invalidKeyStatus ?? 400;
    throw new GoogleApiError(status, INVALID_KEY, [
      errorInfo("API_KEY_INVALID"),
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message: INVALID_KEY },
    ]);
  }
  return key;
}
