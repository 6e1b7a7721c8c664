import { isInputFault, type ProviderError } from "../errors.js";

/** A request the service refused because of (one of) its inputs, not because of the run. */
export interface InputRejection {
  /** The service's words: status and message, e.g. `400 INVALID_ARGUMENT: Unsupported MIME type: image/gif`. */
  reason: string;
  /** The input the service named (`requests[3]` in its message), when it named one. */
  index?: number;
  /** The input is over the model's token limit: split it instead of failing it. */
  tooLong: boolean;
}

/**
 * A malformed request (unknown field, bad JSON) is our bug or a server that does not speak the
 * protocol, the same for every input: it stops the run rather than failing every document.
 */
const REQUEST_SHAPE = /Invalid JSON payload|Unknown name|Cannot find field/i;
const TOO_LONG = /input token count|exceeds the maximum number of tokens|too long|token limit/i;
const NAMED_INPUT = /requests\[(\d+)\]/;

/**
 * How a failed embedding request is to be handled: an {@link InputRejection} when the service
 * refused the content (400 INVALID_ARGUMENT or 413: too long, invalid or blocked content, an
 * unsupported media type), undefined when the fault is the run's (a bad key, quotas, an
 * unreachable service, FAILED_PRECONDITION such as billing or region, a malformed request).
 */
export function inputRejection(error: unknown): InputRejection | undefined {
  if (!isInputFault(error)) return undefined;
  const reason = serviceReason(error);
  if (REQUEST_SHAPE.test(reason)) return undefined;
  const named = NAMED_INPUT.exec(reason);
  return {
    reason,
    ...(named ? { index: Number(named[1]) } : {}),
    tooLong: error.status === 413 || TOO_LONG.test(reason),
  };
}

/** The status and the service's own message, without our wording around it. */
function serviceReason(error: ProviderError): string {
  // Gemini errors read "Gemini <operation> request failed (<status> <STATUS>: <message>)".
  const match = /\((\d{3}\b[\s\S]*)\)$/.exec(error.message);
  return match ? match[1]! : error.message;
}
