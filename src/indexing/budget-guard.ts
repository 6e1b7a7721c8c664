import { BudgetExceededError } from "../errors.js";
import type { Embedder } from "../providers/types.js";

/**
 * Refuses a request that would take the run's estimated cost past `maxCostUsd` (counting requests
 * already sent but not answered). No limit, or an unknown price, guards nothing.
 */
export function budgetGuard(
  embedder: Embedder,
  maxCostUsd: number | undefined,
  spentTokens: () => number,
): ((tokens: number) => void) | undefined {
  const price = embedder.pricing?.usdPerMillionTokens;
  if (maxCostUsd === undefined || price === undefined) return undefined;
  let sent = 0;
  return (tokens) => {
    // Tokens of every request sent so far, answered or still in flight.
    sent = Math.max(sent, spentTokens()) + tokens;
    const projected = (sent / 1_000_000) * price;
    if (projected > maxCostUsd) {
      throw new BudgetExceededError(
        `Stopped at the cost limit of $${maxCostUsd} (the next request would bring this run to ` +
          `~$${projected.toFixed(4)}); finished documents are kept and the next run continues.`,
      );
    }
  };
}
