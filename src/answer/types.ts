import type { ChatUsage } from "../providers/types.js";
import type { Hit, SearchMode, SearchOptions } from "../retrieval/types.js";

/** Items of a streamed answer; `type` tells which. */
export type AnswerEvent =
  | { type: "sources"; hits: Hit[]; mode: SearchMode; notices: string[] }
  | { type: "thought"; text: string }
  | { type: "text-delta"; text: string }
  | { type: "usage"; usage: ChatUsage }
  | { type: "done"; text: string; usage?: ChatUsage; finishReason: string };

export interface AnswerOptions extends SearchOptions {
  /** Chat model. @default "gemini-3-flash-preview" */
  model?: string;
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | "none";
  thinkingBudget?: number;
  /** Stream thought summaries as `thought` events. */
  thoughts?: boolean;
  serviceTier?: "flex" | "priority";
  maxOutputTokens?: number;
}
