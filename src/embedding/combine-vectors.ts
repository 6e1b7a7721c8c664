import { fitVector } from "../providers/fit-vector.js";

/**
 * One unit-length vector for a text that was embedded in parts: the parts' vectors averaged,
 * each weighted by its share of the text, then re-normalised (mean pooling, as embedding models
 * pool token vectors themselves).
 */
export function combineVectors(vectors: Float32Array[], weights: number[]): Float32Array {
  const first = vectors[0];
  if (!first) throw new RangeError("combineVectors needs at least one vector");
  if (vectors.length === 1) return first;
  const combined = new Float32Array(first.length);
  vectors.forEach((vector, i) => {
    const weight = weights[i] ?? 1;
    for (let d = 0; d < combined.length; d++) combined[d]! += weight * vector[d]!;
  });
  return fitVector(combined, combined.length, "combined vector");
}
