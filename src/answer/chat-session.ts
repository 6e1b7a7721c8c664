import { countTokens } from "../chunking/tokens.js";
import { agentAnswer } from "./agent.js";
import { type AnswerContext, answer } from "./answer.js";
import type { AnswerEvent, AnswerOptions, AnswerTurn } from "./types.js";

export interface ChatSessionOptions extends Omit<AnswerOptions, "history" | "searchText" | "signal" | "schema"> {
  /** Tokens of earlier turns sent with each question; the oldest turns are dropped first. @default 8000 */
  historyTokens?: number;
}

/**
 * A follow-up conversation over the index. Each question retrieves afresh (with the previous
 * question, so "and the second one?" still finds its sources), and is sent with the earlier
 * turns (questions and answers, newest kept within `historyTokens`). Pinned documents and the
 * instructions stay in one context cache for the whole session (not with `agent`, where the model
 * searches for itself and pinned documents go with each request). Create with `GemIndex.chat()`.
 */
export class ChatSession {
  readonly #context: AnswerContext;
  readonly #options: ChatSessionOptions;
  readonly #turns: AnswerTurn[] = [];

  constructor(context: AnswerContext, options: ChatSessionOptions = {}) {
    this.#context = context;
    this.#options = options;
  }

  /** Completed turns, oldest first (an aborted, failed or broken-off question leaves no turn). */
  get history(): readonly AnswerTurn[] {
    return this.#turns;
  }

  /** Asks the next question; the events are those of `answer()`. The turn is kept once `done` arrives. */
  async *ask(question: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<AnswerEvent> {
    const { historyTokens, ...answerOptions } = this.#options;
    const previous = this.#turns.at(-1)?.question;
    // In agent mode the model searches for itself, with the earlier turns to go by.
    const events = (answerOptions.agent ? agentAnswer : answer)(question, this.#context, {
      ...answerOptions,
      history: trimHistory(this.#turns, historyTokens ?? 8000),
      searchText: previous === undefined ? undefined : `${previous}\n${question}`,
      signal: options.signal,
    });
    for await (const event of events) {
      // A broken-off answer is not history: the next question should not build on half a reply.
      if (event.type === "done" && !event.interrupted) this.#turns.push({ question, answer: event.text });
      yield event;
    }
  }
}

/** The newest turns that fit in `budget` tokens, oldest first. */
export function trimHistory(turns: readonly AnswerTurn[], budget: number): AnswerTurn[] {
  const kept: AnswerTurn[] = [];
  let used = 0;
  for (let index = turns.length - 1; index >= 0; index--) {
    const turn = turns[index]!;
    const cost = countTokens(turn.question) + countTokens(turn.answer);
    if (used + cost > budget) break;
    used += cost;
    kept.unshift(turn);
  }
  return kept;
}
