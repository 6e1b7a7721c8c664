/** Token estimate used everywhere (usage, quotas, cache minimums, input limits): ceil(chars / 4). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
