import { ProviderError } from "../errors.js";

/**
 * Makes a vector of exactly `dimensions` floats with unit length. Gemini normalises only its
 * full 3072-dim output; shorter outputs (and a longer one from a server that ignored
 * `dimensions`, which Matryoshka training makes safe to truncate) are cut and re-normalised here.
 */
export function fitVector(values: ArrayLike<number>, dimensions: number, context: string): Float32Array {
  if (values.length < dimensions) {
    throw new ProviderError(`${context}: got a vector of ${values.length} dimensions, expected ${dimensions}.`, {
      retryable: false,
    });
  }
  const vector = new Float32Array(dimensions);
  let sum = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = Number(values[i]);
    if (!Number.isFinite(value))
      throw new ProviderError(`${context}: the vector holds a non-finite value.`, { retryable: false });
    vector[i] = value;
    sum += value * value;
  }
  const norm = Math.sqrt(sum);
  if (norm === 0) throw new ProviderError(`${context}: got an all-zero vector.`, { retryable: false });
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}
