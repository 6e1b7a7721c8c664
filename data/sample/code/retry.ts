/**
 * Exponential backoff with jitter, honouring a server-provided delay when there is one.
 * Rate-limited requests (HTTP 429) are retried after the delay in Gemini's RetryInfo.
 */
export function backoffDelay(attempt: number, serverDelayMs?: number, baseMs = 1000, capMs = 60_000): number {
  const delay = serverDelayMs ?? Math.min(baseMs * 2 ** attempt, capMs);
  return delay * (1 + 0.2 * Math.random());
}

export async function withRetries<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt + 1 >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt)));
    }
  }
}
