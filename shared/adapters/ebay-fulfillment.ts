import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { MarketplaceOrders, MarketplacePage } from '#shared/ports.ts';
import { RateLimiter, TokenCache, requestJson, type RetryPolicy } from './http-client.ts';

/**
 * eBay Sell Fulfillment API `getOrders` by `lastmodifieddate` with offset
 * paging, authorized by the OAuth refresh-token grant (token cached until
 * expiry). Base URLs come from the channel's settings.
 */
const tokens = new TokenCache();
const limiter = new RateLimiter(5, 10);
const PAGE_SIZE = 50;

const TokenResponse = z.object({ access_token: z.string(), expires_in: z.number() });
const OrdersResponse = z.object({ orders: z.array(z.record(z.string(), z.unknown())).default([]), total: z.number().optional(), next: z.string().optional() });

export interface EbaySettings {
  endpoint: string;
  tokenUrl: string;
  clientId: string;
}

export class EbayFulfillmentOrders implements MarketplaceOrders {
  readonly #settings: EbaySettings;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #retry: RetryPolicy | undefined;

  constructor(settings: EbaySettings, secrets: { clientSecret: string; refreshToken: string }, options: { retry?: RetryPolicy } = {}) {
    this.#settings = settings;
    this.#secrets = secrets;
    this.#retry = options.retry;
  }

  async page(window: { from: string; to: string }, cursor: string | undefined): Promise<MarketplacePage> {
    const offset = Number(cursor ?? 0);
    const query = new URLSearchParams({ filter: `lastmodifieddate:[${window.from}..${window.to}]`, limit: String(PAGE_SIZE), offset: String(offset) });
    const response = OrdersResponse.parse(
      await requestJson(
        `${this.#settings.endpoint.replace(/\/$/, '')}/sell/fulfillment/v1/order?${query}`,
        { headers: { authorization: `Bearer ${await this.#accessToken()}`, accept: 'application/json' } },
        { what: 'eBay getOrders', limiter, ...(this.#retry ? { retry: this.#retry } : {}) },
      ),
    );
    const orders = response.orders.map((order) => ({
      externalOrderId: String(order['orderId']),
      updatedAt: String(order['lastModifiedDate']),
      body: JSON.stringify(order),
    }));
    const more = response.next !== undefined || (response.total !== undefined && offset + orders.length < response.total);
    return { orders, ...(more && orders.length > 0 ? { nextCursor: String(offset + orders.length) } : {}) };
  }

  #accessToken(): Promise<string> {
    const key = createHash('sha256').update(`${this.#settings.tokenUrl}|${this.#settings.clientId}|${this.#secrets.refreshToken}`).digest('hex');
    return tokens.get(key, async () => {
      const response = TokenResponse.parse(
        await requestJson(
          this.#settings.tokenUrl,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Basic ${Buffer.from(`${this.#settings.clientId}:${this.#secrets.clientSecret}`).toString('base64')}`,
            },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: this.#secrets.refreshToken,
              scope: 'https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly',
            }).toString(),
          },
          { what: 'eBay token refresh', ...(this.#retry ? { retry: this.#retry } : {}) },
        ),
      );
      return { token: response.access_token, expiresInSeconds: response.expires_in };
    });
  }
}
