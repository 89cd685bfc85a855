import { createHash } from 'node:crypto';
import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError } from '#shared/domain/channel-writeback.ts';
import { formatDecimal } from '#shared/domain/money.ts';
import { parseJson } from '#shared/domain/json.ts';
import { MARKETPLACE_RETRY, MarketplaceError, RateLimiter, type RetryPolicy } from '../http-client.ts';

/**
 * What the four write-back clients share: short in-call retries (the queue's
 * redelivery is the long back-off), one rate limiter per channel account and
 * operation, and the mapping of every failure to a WritebackError that says
 * whether trying again can help and carries the channel's own message.
 */

export const WRITEBACK_RETRY: RetryPolicy = { attempts: Math.min(3, MARKETPLACE_RETRY.attempts), baseDelayMs: MARKETPLACE_RETRY.baseDelayMs, maxDelayMs: 10_000 };
/** For calls that move money and carry no idempotency key: one attempt; the queue decides about the next. */
export const SINGLE_ATTEMPT: RetryPolicy = { attempts: 1, baseDelayMs: MARKETPLACE_RETRY.baseDelayMs, maxDelayMs: 10_000 };

const limiters = new Map<string, RateLimiter>();
export function limiterFor(key: string, rate: number, burst: number): RateLimiter {
  let limiter = limiters.get(key);
  if (!limiter) limiters.set(key, (limiter = new RateLimiter(rate, burst)));
  return limiter;
}

/** The human part of a channel's error body: `errors[].message` (Amazon, eBay, Shopify), `message` (WooCommerce), `errors` as a string (Shopify REST). */
export function channelMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJson(body);
  } catch {
    return body.slice(0, 300);
  }
  if (typeof parsed !== 'object' || parsed === null) return body.slice(0, 300);
  const record = parsed as { errors?: unknown; message?: unknown; error_description?: unknown; error?: unknown };
  if (Array.isArray(record.errors)) {
    const messages = record.errors.map((e) => (typeof e === 'object' && e !== null && 'message' in e ? String((e as { message: unknown }).message) : String(e)));
    if (messages.length > 0) return messages.join('; ');
  }
  if (typeof record.errors === 'string') return record.errors;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.error_description === 'string') return record.error_description;
  if (typeof record.error === 'string') return record.error;
  return body.slice(0, 300);
}

/**
 * Runs one channel call. A 4xx other than 429 is final (WritebackError not
 * retryable, with the HTTP status and the channel's message); throttling, 5xx
 * and network failures that outlived the in-call retries are retryable.
 */
export async function call<T>(channelName: string, what: string, request: () => Promise<T>, retryableStatus?: (error: MarketplaceError) => boolean): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof WritebackError) throw error;
    if (error instanceof MarketplaceError) {
      const message = `${channelName} refused ${what} (HTTP ${error.status}): ${channelMessage(error.body) ?? error.message}`;
      throw new WritebackError(message, retryableStatus?.(error) ?? false, error.status);
    }
    throw new WritebackError(`${channelName} ${what} did not succeed, will try again: ${(error as Error).message}`, true);
  }
}

export function secret(secrets: ChannelSecrets, name: string, channel: Channel, purpose: string): string {
  const value = secrets[name];
  if (!value) throw new WritebackError(`Channel ${channel.channelId} has no ${name} secret: it is needed to ${purpose}`, false);
  return value;
}

/** Minor units as the exact decimal string channels take ("36.19"). */
export const decimal = formatDecimal;

/**
 * A stable idempotency key for one action on one channel order, shaped like a
 * UUID (Shopify recommends UUIDs): the same action always gets the same key,
 * so a retry is recognised as the same request.
 */
export function actionKey(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** A marker the OMS puts in a refund's note or reason so a retry can find the refund it already created. */
export const actionMarker = (actionId: string) => `[oms ${actionId}]`;
