import { type Command, InvalidArgumentError } from "commander";

function integerAtLeast(value: string, floor: number): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < floor) {
    throw new InvalidArgumentError(`expected an integer ≥ ${floor}, got "${value}".`);
  }
  return number;
}

/** Commander parser for integer flags ≥ 1 (ignores commander's second argument, the previous value). */
export function parsePositiveInteger(value: string): number {
  return integerAtLeast(value, 1);
}

/** Commander parser for integer flags ≥ 0. */
export function parseNonNegativeInteger(value: string): number {
  return integerAtLeast(value, 0);
}

/** Commander parser for a value out of a fixed list. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got "${value}".`);
    return value as T;
  };
}

/** `--include` and `--exclude`, as `index` and `watch` take them. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option("--include <globs...>", "only index files matching these globs (relative to each folder)")
    .option("--exclude <globs...>", "skip files matching these globs");
}

/** `--model`, `--dimensions` and `--task-types`, as `index` and `watch` take them. */
export function addEmbeddingOptions(command: Command): Command {
  return command
    .option("--model <model>", "embedding model (default: the index's, else gemini-embedding-001)")
    .option("--dimensions <n>", "embedding dimensions (default: the index's, else 768)", parsePositiveInteger)
    .option(
      "--task-types <mode>",
      "task types for a new index (or --reset): auto = RETRIEVAL_DOCUMENT + title / RETRIEVAL_QUERY where " +
        "Gemini's native API exists, off = plain text (an existing index keeps its own)",
      oneOf(["auto", "off"] as const),
    );
}
