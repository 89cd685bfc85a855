import * as z from 'zod';
import type { MarketplaceOrders, MarketplacePage } from '#shared/ports.ts';
import { RateLimiter, refreshAccessToken, requestJson, type RetryPolicy } from './http-client.ts';

/**
 * eBay Sell Fulfillment API `getOrders` by `lastmodifieddate` with offset
 * paging, authorized by the OAuth refresh-token grant (token cached until
 * expiry). Base URLs come from the channel's settings.
 */
const limiter = new RateLimiter(5, 10);
const PAGE_SIZE = 50;

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
    return ebayAccessToken(this.#settings, this.#secrets, 'https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly', this.#retry);
  }
}

/** eBay's OAuth refresh-token grant for one scope (cached per scope until expiry). */
export function ebayAccessToken(
  settings: { tokenUrl: string; clientId: string },
  secrets: { clientSecret: string; refreshToken: string },
  scope: string,
  retry: RetryPolicy | undefined,
): Promise<string> {
  return refreshAccessToken({
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    refreshToken: secrets.refreshToken,
    form: { scope },
    headers: { authorization: `Basic ${Buffer.from(`${settings.clientId}:${secrets.clientSecret}`).toString('base64')}` },
    retry,
    what: 'eBay token refresh',
  });
}
