/** `POST /v1beta/openai/chat/completions`: JSON or SSE, with quotas and service tiers. */
import { GoogleApiError } from "../errors.js";
import type { Reply, RequestContext } from "../route.js";
import { completionJson, generateReply } from "./reply.js";
import { type ChatJob, parseChatRequest } from "./request.js";
import { streamChunks } from "./stream.js";

/** Which tier served the request: flex may be shed, priority may overflow to standard. */
function servedTier(job: ChatJob, context: RequestContext): string {
  const { options } = context.state;
  if (job.serviceTier === "flex" && options.flexOverloaded) throw new GoogleApiError(503);
  if (job.serviceTier === "priority" && options.priorityOverflow) return "standard";
  return job.serviceTier;
}

export function chatCompletions(context: RequestContext): Reply {
  const { state } = context;
  const job = parseChatRequest(context.json(), state);
  state.limits.admit("generate", job.model.id, 1, job.promptTokens);
  const headers = { "x-gemini-service-tier": servedTier(job, context) };
  const reply = generateReply(job, state.options, state.clock);
  if (job.stream) return { type: "sse", chunks: streamChunks(reply, job, state.options), headers };
  return { type: "json", body: completionJson(reply, job, state.options), headers };
}
