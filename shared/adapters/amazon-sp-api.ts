import * as z from 'zod';
import type { MarketplaceOrders, MarketplacePage } from '#shared/ports.ts';
import { RateLimiter, refreshAccessToken, requestJson, type RetryPolicy } from './http-client.ts';

/**
 * Amazon Selling Partner API, Orders v0: Login with Amazon refresh-token
 * exchange (token cached until expiry), `getOrders` by LastUpdatedAfter /
 * LastUpdatedBefore with NextToken paging, `getOrderItems` per order (also
 * paged), within the published rate limits. Base URLs come from the channel's
 * settings, so tests point them at a local fake.
 */
const limiters = new Map<string, { getOrders: RateLimiter; getOrderItems: RateLimiter }>();

const OrdersResponse = z.object({ payload: z.object({ Orders: z.array(z.record(z.string(), z.unknown())), NextToken: z.string().optional() }) });
const ItemsResponse = z.object({ payload: z.object({ OrderItems: z.array(z.record(z.string(), z.unknown())), NextToken: z.string().optional() }) });

export interface AmazonSettings {
  endpoint: string;
  tokenUrl: string;
  clientId: string;
  marketplaceIds: string[];
}

export class AmazonSpApiOrders implements MarketplaceOrders {
  readonly #settings: AmazonSettings;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #retry: RetryPolicy | undefined;
  readonly #limits: { getOrders: RateLimiter; getOrderItems: RateLimiter };

  constructor(settings: AmazonSettings, secrets: { clientSecret: string; refreshToken: string }, options: { retry?: RetryPolicy; rates?: { getOrders: [number, number]; getOrderItems: [number, number] } } = {}) {
    this.#settings = settings;
    this.#secrets = secrets;
    this.#retry = options.retry;
    const key = `${settings.endpoint}|${settings.clientId}`;
    const rates = options.rates ?? { getOrders: [0.0167, 20], getOrderItems: [0.5, 30] };
    if (options.rates || !limiters.has(key)) {
      limiters.set(key, { getOrders: new RateLimiter(...rates.getOrders), getOrderItems: new RateLimiter(...rates.getOrderItems) });
    }
    this.#limits = limiters.get(key) as { getOrders: RateLimiter; getOrderItems: RateLimiter };
  }

  async page(window: { from: string; to: string }, cursor: string | undefined): Promise<MarketplacePage> {
    const query = new URLSearchParams({ MarketplaceIds: this.#settings.marketplaceIds.join(',') });
    if (cursor) query.set('NextToken', cursor);
    else {
      query.set('LastUpdatedAfter', window.from);
      query.set('LastUpdatedBefore', window.to);
      query.set('MaxResultsPerPage', '100');
    }
    const { payload } = OrdersResponse.parse(await this.#get(`/orders/v0/orders?${query}`, this.#limits.getOrders, 'getOrders'));
    const orders = [];
    for (const order of payload.Orders) {
      const id = String(order['AmazonOrderId']);
      orders.push({
        externalOrderId: id,
        updatedAt: String(order['LastUpdateDate']),
        body: JSON.stringify({ order, items: await this.#items(id) }),
      });
    }
    return { orders, ...(payload.NextToken ? { nextCursor: payload.NextToken } : {}) };
  }

  async #items(orderId: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let next: string | undefined;
    do {
      const query = next ? `?NextToken=${encodeURIComponent(next)}` : '';
      const { payload } = ItemsResponse.parse(
        await this.#get(`/orders/v0/orders/${encodeURIComponent(orderId)}/orderItems${query}`, this.#limits.getOrderItems, 'getOrderItems'),
      );
      items.push(...payload.OrderItems);
      next = payload.NextToken;
    } while (next);
    return items;
  }

  async #get(path: string, limiter: RateLimiter, what: string): Promise<unknown> {
    const token = await this.#accessToken();
    return requestJson(`${this.#settings.endpoint.replace(/\/$/, '')}${path}`, { headers: { 'x-amz-access-token': token, accept: 'application/json' } }, {
      what: `SP-API ${what}`,
      limiter,
      ...(this.#retry ? { retry: this.#retry } : {}),
    });
  }

  #accessToken(): Promise<string> {
    return lwaAccessToken(this.#settings, this.#secrets, this.#retry);
  }
}

/** Login with Amazon: the refresh token exchanged for an SP-API access token (cached until expiry). */
export function lwaAccessToken(
  settings: { tokenUrl: string; clientId: string },
  secrets: { clientSecret: string; refreshToken: string },
  retry: RetryPolicy | undefined,
): Promise<string> {
  return refreshAccessToken({
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    refreshToken: secrets.refreshToken,
    form: { client_id: settings.clientId, client_secret: secrets.clientSecret },
    retry,
    what: 'Login with Amazon token exchange',
  });
}
