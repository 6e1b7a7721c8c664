/**
 * Google-style errors. Handlers throw {@link GoogleApiError}; the server serializes it as
 * `[{"error":{…}}]` on the compat surface and as the bare `{"error":{…}}` on native endpoints
 * (https://ai.google.dev/gemini-api/docs/troubleshooting).
 */

/** Which API a route belongs to; decides the error body shape. */
export type Surface = "compat" | "native";

const STATUS_BY_CODE: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ALREADY_EXISTS",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const DEFAULT_MESSAGE: Record<number, string> = {
  400: "Request contains an invalid argument.",
  401: "Request had invalid authentication credentials.",
  403: "The caller does not have permission",
  404: "Requested entity was not found.",
  429: "Resource has been exhausted (e.g. check quota).",
  500:
    "An internal error has occurred. Please retry or report in " +
    "https://developers.generativeai.google/guide/troubleshooting",
  503: "The model is overloaded. Please try again later.",
  504: "Deadline expired before operation could complete.",
};

export function googleStatusFor(code: number): string {
  return STATUS_BY_CODE[code] ?? (code >= 500 ? "INTERNAL" : "UNKNOWN");
}

export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    message: string = DEFAULT_MESSAGE[code] ?? "Unknown error.",
    readonly details: unknown[] = [],
    readonly googleStatus: string = googleStatusFor(code),
  ) {
    super(message);
    this.name = "GoogleApiError";
  }

  /** The `{error:{code,message,status,details?}}` object (details omitted when empty, as Google does). */
  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message, status: this.googleStatus };
    if (this.details.length > 0) error.details = this.details;
    return { error };
  }
}

/** An error whose body is never array-wrapped, whatever the surface. */
export class BareGoogleApiError extends GoogleApiError {}

/** The JSON a surface sends for an error. */
export function errorPayload(error: GoogleApiError, surface: Surface): unknown {
  return surface === "compat" && !(error instanceof BareGoogleApiError) ? [error.toBody()] : error.toBody();
}

export function invalidArgument(message: string, details: unknown[] = []): GoogleApiError {
  return new GoogleApiError(400, message, details);
}

/** 400 for a field-level problem, with a `google.rpc.BadRequest` detail. */
export function badField(message: string, field?: string): GoogleApiError {
  const violation: Record<string, string> =
    field === undefined ? { description: message } : { field, description: message };
  return invalidArgument(message, [
    { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [violation] },
  ]);
}

export function notFound(message: string): GoogleApiError {
  return new GoogleApiError(404, message);
}

export function permissionDenied(message: string): GoogleApiError {
  return new GoogleApiError(403, message);
}

export function failedPrecondition(message: string): GoogleApiError {
  return new GoogleApiError(400, message, [], "FAILED_PRECONDITION");
}

/** The error used for injected 5xx and generic faults. */
export function genericError(code: number, message?: string, googleStatus?: string): GoogleApiError {
  return new GoogleApiError(
    code,
    message ?? DEFAULT_MESSAGE[code] ?? "Unknown error.",
    [],
    googleStatus ?? googleStatusFor(code),
  );
}

/** "26s" / "1.5s" → ms; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d{1,9})?)s$/.exec(text.trim());
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

export interface QuotaViolation {
  metric: string;
  quotaId: string;
  model: string;
  limit: number;
}

export interface ExhaustedOptions {
  /** How long until the window frees up. */
  retryMs: number;
  /** RetryInfo text; @default ceil(retryMs / 1000) + "s" */
  retryDelay?: string;
  violation?: QuotaViolation;
  message?: string;
}

/**
 * 429 RESOURCE_EXHAUSTED with Help, QuotaFailure and RetryInfo details and the "Please retry in Ns."
 * sentence, as captured from the real API (https://ai.google.dev/gemini-api/docs/rate-limits). The server never adds
 * Retry-After.
 */
export function resourceExhausted({ retryMs, retryDelay, violation, message }: ExhaustedOptions): GoogleApiError {
  const seconds = Math.max(0, retryMs) / 1000;
  const quotaLine = violation
    ? `\n* Quota exceeded for metric: ${violation.metric}, limit: ${violation.limit}, model: ${violation.model}`
    : "";
  const text =
    message ??
    "You exceeded your current quota, please check your plan and billing details. For more information on this " +
      "error, " +
      "head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: " +
      `https://ai.dev/usage?tab=rate-limit.${quotaLine}\nPlease retry in ${Number(seconds.toFixed(6))}s.`;
  // In the order the service sends them: Help, QuotaFailure, RetryInfo.
  const details: unknown[] = [
    {
      "@type": "type.googleapis.com/google.rpc.Help",
      links: [
        { description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" },
      ],
    },
  ];
  if (violation) {
    details.push({
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [
        {
          quotaMetric: violation.metric,
          quotaId: violation.quotaId,
          quotaDimensions: { location: "global", model: violation.model },
          quotaValue: String(violation.limit),
        },
      ],
    });
  }
  details.push({
    "@type": "type.googleapis.com/google.rpc.RetryInfo",
    retryDelay: retryDelay ?? `${Math.ceil(seconds)}s`,
  });
  return new GoogleApiError(429, text, details);
}
