import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { readConfig } from '#shared/config.ts';
import { parseJson } from '#shared/domain/json.ts';

/** A marketplace answered with an error that retrying will not fix (4xx other than 429). */
export class MarketplaceError extends Error {
  readonly status: number;
  /** The marketplace's answer as it came (for clients that report the channel's own message). */
  readonly body: string | undefined;
  constructor(message: string, status: number, body?: string) {
    super(message);
    this.name = 'MarketplaceError';
    this.status = status;
    this.body = body;
  }
}

/**
 * Token bucket: `rate` requests per second on average, bursts of `burst`.
 * Marketplaces publish these per operation (SP-API getOrders: 0.0167/s, burst
 * 20); keeping under them avoids 429s rather than only reacting to them.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #updated = Date.now();

  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
  }

  async take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updated) / 1000) * this.#rate);
      this.#updated = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.#tokens) / this.#rate) * 1000));
    }
  }
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Defaults suit the real marketplaces; the variables let a local run or a test shorten the waits. */
const retryConfig = readConfig({
  OMS_MARKETPLACE_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  OMS_MARKETPLACE_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60_000).default(1_000),
});
export const MARKETPLACE_RETRY: RetryPolicy = {
  attempts: retryConfig.OMS_MARKETPLACE_RETRY_ATTEMPTS,
  baseDelayMs: retryConfig.OMS_MARKETPLACE_RETRY_BASE_MS,
  maxDelayMs: 60_000,
};

/**
 * A JSON request to a marketplace API: waits for the rate limiter, retries
 * 429 and 5xx (and network failures) with exponential back-off and jitter,
 * honouring Retry-After, and fails fast on other 4xx.
 */
export async function requestJson(
  url: string,
  init: RequestInit,
  options: { retry?: RetryPolicy; limiter?: RateLimiter; what: string; onHeaders?: (headers: Headers) => void } ,
): Promise<unknown> {
  const retry = options.retry ?? MARKETPLACE_RETRY;
  let lastProblem = '';
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    await options.limiter?.take();
    let response: Response | undefined;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      lastProblem = `network error: ${(error as Error).message}`;
    }
    if (response) {
      const text = await response.text();
      if (response.ok) {
        options.onHeaders?.(response.headers);
        return text ? parseJson(text) : {};
      }
      lastProblem = `HTTP ${response.status}: ${text.slice(0, 300)}`;
      if (response.status !== 429 && response.status < 500) throw new MarketplaceError(`${options.what} failed with ${lastProblem}`, response.status, text);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (attempt < retry.attempts && Number.isFinite(retryAfter) && retryAfter > 0) {
        await sleep(Math.min(retry.maxDelayMs, retryAfter * 1000));
        continue;
      }
    }
    if (attempt < retry.attempts) {
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      await sleep(backoff / 2 + Math.random() * (backoff / 2));
    }
  }
  throw new Error(`${options.what} still failing after ${retry.attempts} attempts (${lastProblem})`);
}

/** OAuth access tokens, cached until shortly before they expire. */
class TokenCache {
  readonly #tokens = new Map<string, { token: string; until: number }>();

  async get(key: string, fetchToken: () => Promise<{ token: string; expiresInSeconds: number }>): Promise<string> {
    const cached = this.#tokens.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    const fresh = await fetchToken();
    this.#tokens.set(key, { token: fresh.token, until: Date.now() + Math.max(0, fresh.expiresInSeconds - 60) * 1000 });
    return fresh.token;
  }
}

const tokens = new TokenCache();
const TokenResponse = z.object({ access_token: z.string(), expires_in: z.number() });

/**
 * An OAuth refresh-token grant (Login with Amazon, eBay): the access token is
 * cached per token URL, client, refresh token and scope until a minute before it
 * expires, so a poll asks for one only when it must.
 */
export function refreshAccessToken(request: {
  tokenUrl: string;
  clientId: string;
  refreshToken: string;
  form: Record<string, string>;
  headers?: Record<string, string>;
  retry?: RetryPolicy | undefined;
  what: string;
}): Promise<string> {
  // The form is part of the key: one refresh token can be exchanged for tokens of different scopes.
  const key = createHash('sha256').update(`${request.tokenUrl}|${request.clientId}|${request.refreshToken}|${JSON.stringify(request.form)}`).digest('hex');
  return tokens.get(key, async () => {
    const response = TokenResponse.parse(
      await requestJson(
        request.tokenUrl,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...request.headers },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: request.refreshToken, ...request.form }).toString(),
        },
        { what: request.what, ...(request.retry ? { retry: request.retry } : {}) },
      ),
    );
    return { token: response.access_token, expiresInSeconds: response.expires_in };
  });
}
