import type { StreamInterruptedError } from "../errors.js";
import type { Notice } from "../notices.js";
import type { ChatUsage } from "../providers/types.js";
import type { Hit, SearchMode, SearchOptions } from "../retrieval/types.js";

/** A source an answer cites, in the order the answer first cites it. */
export interface Citation {
  /** The marker used in the answer: `1` for `[1]`, `"P1"` for a pinned document. */
  n: number | string;
  /** `guide.md:L10-L24`, `report.pdf:p3`, or the pinned document's path. */
  citation: string;
  path: string;
  page?: number;
  lines?: { start: number; end: number };
  location?: string;
}

/** A whole indexed document placed before the conversation (`--pin`). */
export interface PinnedDocument {
  /** How answers cite it: `P1`, `P2`, … in the order given. */
  label: string;
  /** Absolute path, as indexed. */
  path: string;
  /** The path as shown to the user. */
  displayPath: string;
  /** Chunks it was indexed as (all are pinned, in order). */
  chunks: number;
  /** Estimated tokens. */
  tokens: number;
}

/** The context cache an answer used. */
export interface AnswerCacheInfo {
  /** `cachedContents/<id>`. */
  name: string;
  /**
   * "created" for a new cache, "reused" for one made earlier (by this or another process),
   * "refreshed" when its lifetime was extended first, "given" for `cachedContent`.
   */
  state: "created" | "reused" | "refreshed" | "given";
  /** Tokens it holds, when known. */
  totalTokens?: number;
  /** When it expires unless used again (RFC 3339), when known. */
  expireTime?: string;
}

/** A previous question and its answer, sent as conversation history. */
export interface AnswerTurn {
  question: string;
  answer: string;
}

/** Items of a streamed answer; `type` tells which. */
export type AnswerEvent =
  | {
      type: "sources";
      hits: Hit[];
      mode: SearchMode;
      notices: Notice[];
      /** Documents pinned whole (cited as `[P1]`…); empty without `pin`. */
      pinned: PinnedDocument[];
      /** The context cache the answer starts with, if any. */
      cache?: AnswerCacheInfo;
    }
  | { type: "thought"; text: string }
  | { type: "text-delta"; text: string }
  /** Usage of one model request; in agent mode one per step (`step` set), the total is in `done`. */
  | { type: "usage"; usage: ChatUsage; step?: number }
  /** Agent mode: the model asked to run a tool (arguments parsed; `{}` when they were not valid JSON). */
  | { type: "tool-call"; step: number; id: string; name: string; arguments: Record<string, unknown> }
  /**
   * Agent mode: what a tool call returned to the model. `hits` are the passages it was given,
   * numbered as the answer cites them (a passage met before keeps its number); `error` is what
   * the model was told instead when the call could not run (bad arguments, unknown document).
   */
  | { type: "tool-result"; step: number; id: string; name: string; hits: Hit[]; error?: string }
  | {
      type: "done";
      text: string;
      /** The sources the answer cites (`[n]` markers that match a source), in order of first use. */
      citations: Citation[];
      /** `usage.cachedTokens` counts the prompt tokens served from a context cache. */
      usage?: ChatUsage;
      /**
       * Why the model stopped, as the service says: "stop", "length" (the output token limit),
       * "content_filter" (a safety stop), …; null when the stream broke off before it said.
       */
      finishReason: string | null;
      /** True only when the model finished normally ("stop"): otherwise `text` is partial. */
      complete: boolean;
      /** Set when the stream broke off after part of the answer was streamed: `text` is that part. */
      interrupted?: StreamInterruptedError;
      /** The cache the answer was generated with (differs from `sources.cache` when it had to be recreated). */
      cachedContent?: string;
      /** With `schema`: the answer as JSON, valid against the schema (`text` is the raw reply). */
      data?: unknown;
      /** With `schema`: requests it took (2 when the first reply did not match the schema). */
      attempts?: number;
      /** Agent mode: every passage gathered across the steps, numbered as cited. */
      hits?: Hit[];
      /** Agent mode: each model request, its tool calls and usage (`usage` above is the total). */
      steps?: AgentStep[];
      /**
       * Agent mode: the model still wanted tools at the last step (`maxSteps`), so `text` is the
       * best answer it gave so far (possibly empty).
       */
      stepLimitReached?: boolean;
    };

/** One model request of an agent answer. */
export interface AgentStep {
  /** 1-based. */
  step: number;
  /** Text the model wrote in this step. */
  text: string;
  toolCalls: Array<{
    id: string;
    name: string;
    arguments: Record<string, unknown>;
    /** Numbers of the passages the call returned. */
    passages: number[];
    error?: string;
  }>;
  usage?: ChatUsage;
  /** Why the model stopped; null when its stream broke off before it said. */
  finishReason: string | null;
  /** Thought summaries of this step were shown. */
  thoughts?: boolean;
}

export interface AnswerOptions extends SearchOptions {
  /** Chat model. @default "gemini-3-flash-preview" */
  model?: string;
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | "none";
  thinkingBudget?: number;
  /** Stream thought summaries as `thought` events. */
  thoughts?: boolean;
  serviceTier?: "flex" | "priority";
  maxOutputTokens?: number;
  /**
   * Indexed documents to give the model whole, before the conversation (paths relative to the
   * working directory, or absolute). With `cache`, they live in a context cache that later
   * questions (and other processes) reuse.
   */
  pin?: string[];
  /**
   * An existing context cache (`cachedContents/<id>`) to answer with, as it is: it must hold
   * the instructions, so no system message is sent. Not with `pin`.
   */
  cachedContent?: string;
  /**
   * Put the stable part of the prompt (instructions and pinned documents) in a context cache
   * when it is at least the model's minimum size; reuse, refresh and recreate it as needed.
   * @default true
   */
  cache?: boolean;
  /** Earlier turns of a conversation, oldest first (see `GemIndex.chat()`, which keeps them for you). */
  history?: AnswerTurn[];
  /**
   * Let the model search and read the index itself through function calling, over several steps,
   * instead of one retrieval before it answers. Pinned documents go with the request (a context
   * cache cannot be combined with tools), so `cachedContent` is refused. @default false
   */
  agent?: boolean;
  /** Agent mode: model requests at most; the last one must answer without tools. @default 4 */
  maxSteps?: number;
  /**
   * A JSON Schema the answer must match: it comes back as `done.data`, validated locally, with
   * the citations of the sources it names. A reply that does not match is asked for once more;
   * then InvalidAnswerError. Not with `agent` (Gemini refuses tools with JSON output).
   */
  schema?: Record<string, unknown>;
  /**
   * What to retrieve sources with, when it differs from the question (a follow-up adds the previous question). @default
   * the question
   */
  searchText?: string;
}
