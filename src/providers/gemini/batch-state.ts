import { ProviderError } from "../../errors.js";
import type { BatchState } from "../types.js";
import type { GeminiClient } from "./client.js";

// What the compat and the native batch routes (batches.ts, native-batches.ts) both need.

/** Compat (OpenAI) statuses and Gemini's native `JOB_STATE_*` / `BATCH_STATE_*` names, in our terms. */
const states: Record<string, BatchState> = {
  validating: "pending",
  pending: "pending",
  in_progress: "running",
  running: "running",
  finalizing: "running",
  completed: "succeeded",
  succeeded: "succeeded",
  failed: "failed",
  cancelling: "cancelled",
  cancelled: "cancelled",
  canceled: "cancelled",
  expired: "expired",
};

/** Our state for a service status; an unknown one is an error rather than a guess that could poll forever. */
export function batchStateOf(status: unknown): BatchState {
  const key = typeof status === "string" ? status.toLowerCase().replace(/^(job|batch)_state_/, "") : "";
  const state = states[key];
  if (!state)
    throw new ProviderError(`The batch service reported an unknown status ${JSON.stringify(status)}.`, {
      operation: "batch status",
    });
  return state;
}

/**
 * A create failure retried only when it shows nothing was created (429, 503); otherwise a warning not to submit twice.
 */
export function onlyRetryUnprocessed(client: GeminiClient, operation: string, error: unknown): unknown {
  const normalized = client.normalize(operation, error);
  if (!(normalized instanceof ProviderError) || !normalized.retryable) return normalized;
  if (normalized.status === 429 || normalized.status === 503) return normalized;
  return new ProviderError(
    `${normalized.message} The batch may or may not have been created: list the jobs before submitting again, or ` +
      `it may run (and be paid for) twice.`,
    {
      status: normalized.status,
      googleStatus: normalized.googleStatus,
      reason: normalized.reason,
      excerpt: normalized.excerpt,
      operation,
      retryable: false,
      cause: normalized,
    },
  );
}
