/**
 * `reasoning_effort` and `extra_body.google.thinking_config` (https://ai.google.dev/gemini-api/docs/openai): per-model
 * valid
 * values, the "cannot combine" rule, and the budget that decides how many thinking tokens a reply costs.
 */
import { invalidArgument } from "../errors.js";
import { invalidValue, isObject, type JsonObject, rejectUnknownFields } from "../fields.js";
import { DEFAULT_REASONING_EFFORTS, DEFAULT_THINKING_LEVELS, type ModelInfo } from "../models.js";
import type { EmulatorOptions } from "../types.js";

export interface Thinking {
  enabled: boolean;
  /** Token budget; thinking tokens never exceed it. */
  budget: number;
  includeThoughts: boolean;
}

/** Budget used when thinking is dynamic (no effort / budget -1). */
const DYNAMIC_BUDGET = 8_192;

const EFFORT_BUDGET: Record<string, number> = { none: 0, minimal: 1_024, low: 1_024, medium: 8_192, high: 24_576 };
const LEVEL_BUDGET: Record<string, number> = { minimal: 128, low: 1_024, medium: 8_192, high: 24_576 };

function checkEffort(effort: unknown, model: ModelInfo, options: EmulatorOptions): number {
  if (typeof effort !== "string") throw invalidValue("reasoning_effort", "string", effort);
  const valid = options.reasoningEfforts?.[model.id] ?? DEFAULT_REASONING_EFFORTS[model.id] ?? [];
  if (!valid.includes(effort)) {
    throw invalidArgument(`Invalid reasoning_effort: ${effort}. Valid values are: ${[...valid].sort().join(", ")}`);
  }
  return model.generation === 3 ? (LEVEL_BUDGET[effort] ?? DYNAMIC_BUDGET) : (EFFORT_BUDGET[effort] ?? DYNAMIC_BUDGET);
}

function checkConfig(
  config: JsonObject,
  model: ModelInfo,
  options: EmulatorOptions,
): { budget?: number; includeThoughts: boolean } {
  const at = "extra_body.google.thinking_config";
  rejectUnknownFields(config, ["thinking_budget", "thinking_level", "include_thoughts"], { at });
  const { thinking_budget: budget, thinking_level: level, include_thoughts: include } = config;
  if (include !== undefined && typeof include !== "boolean")
    throw invalidValue(`${at}.include_thoughts`, "boolean", include);
  if (budget !== undefined && level !== undefined) {
    throw invalidArgument("thinking_budget and thinking_level cannot both be set; use one of them.");
  }
  const includeThoughts = include === true;
  if (level !== undefined) {
    if (typeof level !== "string") throw invalidValue(`${at}.thinking_level`, "string", level);
    const valid = options.thinkingLevels?.[model.id] ?? DEFAULT_THINKING_LEVELS[model.id];
    if (!valid) throw invalidArgument("Thinking level is not supported for this model.");
    if (!valid.includes(level.toLowerCase()))
      throw invalidArgument(`Thinking level ${level.toUpperCase()} is not supported for this model.`);
    return { budget: LEVEL_BUDGET[level.toLowerCase()] ?? DYNAMIC_BUDGET, includeThoughts };
  }
  if (budget !== undefined) {
    if (typeof budget !== "number" || !Number.isInteger(budget))
      throw invalidValue(`${at}.thinking_budget`, "number", budget);
    if (budget === -1) return { budget: DYNAMIC_BUDGET, includeThoughts };
    if (budget === 0 && model.alwaysThinks)
      throw invalidArgument("Budget 0 is invalid. This model only works in thinking mode.");
    const [low, high] = model.budgetRange ?? [0, 24_576];
    if (budget !== 0 && (budget < low || budget > high)) {
      throw invalidArgument(
        `The thinking budget ${budget} is invalid. Please choose a value between ${low} and ${high}.`,
      );
    }
    return { budget, includeThoughts };
  }
  return { includeThoughts };
}

/** Validates the thinking options of a chat request and returns the effective setting. */
export function resolveThinking(
  body: JsonObject,
  google: JsonObject | undefined,
  model: ModelInfo,
  options: EmulatorOptions,
): Thinking {
  const config = google?.thinking_config;
  if (config !== undefined && !isObject(config))
    throw invalidValue("extra_body.google.thinking_config", "object", config);
  if (body.reasoning_effort !== undefined && body.reasoning_effort !== null && config !== undefined) {
    throw invalidArgument("reasoning_effort and thinking_config cannot both be set; use one of them.");
  }
  let budget = model.thinksByDefault ? DYNAMIC_BUDGET : 0;
  let includeThoughts = false;
  if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
    budget = checkEffort(body.reasoning_effort, model, options);
  } else if (config !== undefined) {
    const checked = checkConfig(config, model, options);
    if (checked.budget !== undefined) budget = checked.budget;
    includeThoughts = checked.includeThoughts;
  }
  return { enabled: budget > 0, budget, includeThoughts: includeThoughts && budget > 0 };
}
