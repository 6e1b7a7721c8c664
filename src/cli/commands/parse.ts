import { InvalidArgumentError } from "commander";

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
