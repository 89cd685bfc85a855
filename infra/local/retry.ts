import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries like the AWS services the local runtime stands in for: exponential
 * back-off with jitter, `retryAttempts` retries after the first try, giving
 * up early once `maxAgeMs` has passed. Back-off is capped low locally so a
 * failing target dead-letters in seconds, not hours.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: { retryAttempts: number; maxAgeMs?: number; baseDelayMs?: number; maxDelayMs?: number },
): Promise<{ ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number }> {
  const started = Date.now();
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 2_000;
  let lastError: unknown;
  let tried = 0;
  for (let n = 1; n <= options.retryAttempts + 1; n++) {
    tried = n;
    try {
      return { ok: true, value: await attempt(n), attempts: n };
    } catch (error) {
      lastError = error;
      if (n > options.retryAttempts) break;
      if (options.maxAgeMs !== undefined && Date.now() - started > options.maxAgeMs) break;
      await sleep(Math.min(cap, base * 2 ** (n - 1)) * (0.5 + Math.random() / 2));
    }
  }
  return { ok: false, error: lastError, attempts: tried };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
