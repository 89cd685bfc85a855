import * as z from 'zod';
import {
  AmazonChannelSettings,
  EbayChannelSettings,
  ShopifyChannelSettings,
  WooChannelSettings,
  type Channel,
  type ChannelSecrets,
} from '#shared/domain/channel.ts';
import { PushError } from '#shared/domain/listing.ts';
import type { ListingTarget, StockPusher } from '#shared/ports.ts';
import { lwaAccessToken } from './amazon-sp-api.ts';
import { ebayAccessToken } from './ebay-fulfillment.ts';
import { MARKETPLACE_RETRY, MarketplaceError, RateLimiter, requestJson, type RetryPolicy } from './http-client.ts';

/**
 * Available-to-sell pushes, one client per channel type: Shopify (Admin
 * GraphQL `inventorySetQuantities`), WooCommerce (REST product or variation
 * `stock_quantity`), Amazon (Listings Items API patch of
 * `fulfillment_availability`), eBay (Inventory API
 * `bulk_update_price_quantity`). Every base URL comes from the channel's
 * settings so tests run them against local fakes. A 4xx (other than 429) is
 * final; throttling, 5xx and network failures are retried here a few times
 * and then reported as retryable, so the queue tries again later.
 */

/** Short in-call retries: the queue's own redelivery is the long back-off. */
const PUSH_RETRY: RetryPolicy = { attempts: Math.min(3, MARKETPLACE_RETRY.attempts), baseDelayMs: MARKETPLACE_RETRY.baseDelayMs, maxDelayMs: 10_000 };

const limiters = new Map<string, RateLimiter>();
function limiterFor(key: string, rate: number, burst: number): RateLimiter {
  let limiter = limiters.get(key);
  if (!limiter) limiters.set(key, (limiter = new RateLimiter(rate, burst)));
  return limiter;
}

async function call(what: string, request: () => Promise<unknown>): Promise<unknown> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof PushError) throw error;
    if (error instanceof MarketplaceError) throw new PushError(error.message, false);
    throw new PushError(`${what}: ${(error as Error).message}`, true);
  }
}

function secret(secrets: ChannelSecrets, name: string, channel: Channel): string {
  const value = secrets[name];
  if (!value) throw new PushError(`Channel ${channel.channelId} has no ${name} secret: it is needed to set stock`, false);
  return value;
}

const gid = (kind: string, id: string) => (id.startsWith('gid://') ? id : `gid://shopify/${kind}/${id}`);

const SET_AVAILABLE = `mutation SetAvailable($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}`;
const GraphQlResponse = z.object({
  data: z
    .object({ inventorySetQuantities: z.object({ userErrors: z.array(z.object({ message: z.string(), code: z.string().nullish() })) }).nullish() })
    .nullish(),
  errors: z.array(z.object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).loose().optional() })).optional(),
});

class ShopifyStock implements StockPusher {
  readonly #url: string;
  readonly #token: string;
  readonly #locationId: string;
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    const settings = ShopifyChannelSettings.parse(channel.settings);
    if (!settings.inventoryLocationId) throw new PushError(`Channel ${channel.channelId} has no inventoryLocationId setting: Shopify needs the location to set`, false);
    this.#url = `${(settings.adminUrl ?? `https://${settings.shopDomain}`).replace(/\/$/, '')}/admin/api/${settings.apiVersion}/graphql.json`;
    this.#token = secret(secrets, 'adminAccessToken', channel);
    this.#locationId = gid('Location', settings.inventoryLocationId);
    this.#limiter = limiterFor(`shopify|${settings.shopDomain}`, 10, 20);
  }

  async setAvailable(target: ListingTarget, quantity: number, idempotencyKey: string): Promise<void> {
    const body = {
      query: SET_AVAILABLE,
      variables: {
        key: idempotencyKey,
        input: {
          name: 'available',
          reason: 'correction',
          quantities: [{ inventoryItemId: gid('InventoryItem', String(target.ref['inventoryItemId'])), locationId: this.#locationId, quantity, changeFromQuantity: null }],
        },
      },
    };
    const response = GraphQlResponse.parse(
      await call('Shopify inventorySetQuantities', () =>
        requestJson(
          this.#url,
          { method: 'POST', headers: { 'x-shopify-access-token': this.#token, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) },
          { what: 'Shopify inventorySetQuantities', limiter: this.#limiter, retry: PUSH_RETRY },
        ),
      ),
    );
    if (response.errors?.length) {
      const throttled = response.errors.some((e) => e.extensions?.code === 'THROTTLED');
      throw new PushError(`Shopify refused the figure: ${response.errors.map((e) => e.message).join('; ')}`, throttled);
    }
    const userErrors = response.data?.inventorySetQuantities?.userErrors ?? [];
    if (userErrors.length > 0) throw new PushError(`Shopify refused the figure: ${userErrors.map((e) => e.message).join('; ')}`, false);
  }
}

class WooStock implements StockPusher {
  readonly #base: string;
  readonly #auth: string;
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    const settings = WooChannelSettings.parse(channel.settings);
    this.#base = `${settings.storeUrl.replace(/\/$/, '')}/wp-json/wc/v3`;
    this.#auth = `Basic ${Buffer.from(`${secret(secrets, 'consumerKey', channel)}:${secret(secrets, 'consumerSecret', channel)}`).toString('base64')}`;
    this.#limiter = limiterFor(`woo|${settings.storeUrl}`, 5, 10);
  }

  async setAvailable(target: ListingTarget, quantity: number): Promise<void> {
    const product = Number(target.ref['productId']);
    const variation = target.ref['variationId'] === undefined ? undefined : Number(target.ref['variationId']);
    const path = variation === undefined ? `/products/${product}` : `/products/${product}/variations/${variation}`;
    await call('WooCommerce stock update', () =>
      requestJson(
        `${this.#base}${path}`,
        {
          method: 'PUT',
          headers: { authorization: this.#auth, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ manage_stock: true, stock_quantity: quantity }),
        },
        { what: 'WooCommerce stock update', limiter: this.#limiter, retry: PUSH_RETRY },
      ),
    );
  }
}

const ListingsPatchResponse = z.object({
  status: z.string(),
  issues: z.array(z.object({ message: z.string(), severity: z.string().optional() })).default([]),
});

class AmazonStock implements StockPusher {
  readonly #settings: z.infer<typeof AmazonChannelSettings>;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #sellerId: string;
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    this.#settings = AmazonChannelSettings.parse(channel.settings);
    if (!this.#settings.sellerId) throw new PushError(`Channel ${channel.channelId} has no sellerId setting: the Listings Items API needs it`, false);
    this.#sellerId = this.#settings.sellerId;
    this.#secrets = { clientSecret: secret(secrets, 'clientSecret', channel), refreshToken: secret(secrets, 'refreshToken', channel) };
    // patchListingsItem: 5 requests per second, burst 5.
    this.#limiter = limiterFor(`amazon-listings|${this.#settings.endpoint}|${this.#sellerId}`, 5, 5);
  }

  async setAvailable(target: ListingTarget, quantity: number): Promise<void> {
    const sku = String(target.ref['channelSku'] ?? target.sku);
    const body = {
      productType: String(target.ref['productType'] ?? 'PRODUCT'),
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }],
    };
    for (const marketplaceId of this.#settings.marketplaceIds) {
      const response = ListingsPatchResponse.parse(
        await call('SP-API patchListingsItem', async () =>
          requestJson(
            `${this.#settings.endpoint.replace(/\/$/, '')}/listings/2021-08-01/items/${encodeURIComponent(this.#sellerId)}/${encodeURIComponent(sku)}?${new URLSearchParams({ marketplaceIds: marketplaceId })}`,
            {
              method: 'PATCH',
              headers: {
                'x-amz-access-token': await lwaAccessToken(this.#settings, this.#secrets, PUSH_RETRY),
                'content-type': 'application/json',
                accept: 'application/json',
              },
              body: JSON.stringify(body),
            },
            { what: 'SP-API patchListingsItem', limiter: this.#limiter, retry: PUSH_RETRY },
          ),
        ),
      );
      if (response.status !== 'ACCEPTED') {
        const issues = response.issues.filter((i) => i.severity !== 'WARNING').map((i) => i.message);
        throw new PushError(`Amazon did not accept the quantity for ${marketplaceId} (${response.status}): ${issues.join('; ') || 'no reason given'}`, false);
      }
    }
  }
}

const BulkResponse = z.object({
  responses: z.array(z.object({ statusCode: z.number(), sku: z.string().optional(), errors: z.array(z.object({ message: z.string() })).default([]) })),
});

class EbayStock implements StockPusher {
  readonly #settings: z.infer<typeof EbayChannelSettings>;
  readonly #secrets: { clientSecret: string; refreshToken: string };
  readonly #limiter: RateLimiter;

  constructor(channel: Channel, secrets: ChannelSecrets) {
    this.#settings = EbayChannelSettings.parse(channel.settings);
    this.#secrets = { clientSecret: secret(secrets, 'clientSecret', channel), refreshToken: secret(secrets, 'refreshToken', channel) };
    this.#limiter = limiterFor(`ebay-inventory|${this.#settings.endpoint}|${this.#settings.clientId}`, 5, 10);
  }

  async setAvailable(target: ListingTarget, quantity: number): Promise<void> {
    const sku = String(target.ref['channelSku'] ?? target.sku);
    const token = await call('eBay token refresh', () =>
      ebayAccessToken(this.#settings, this.#secrets, 'https://api.ebay.com/oauth/api_scope/sell.inventory', PUSH_RETRY),
    );
    const response = BulkResponse.parse(
      await call('eBay bulkUpdatePriceQuantity', () =>
        requestJson(
          `${this.#settings.endpoint.replace(/\/$/, '')}/sell/inventory/v1/bulk_update_price_quantity`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${String(token)}`, 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ requests: [{ sku, shipToLocationAvailability: { quantity } }] }),
          },
          { what: 'eBay bulkUpdatePriceQuantity', limiter: this.#limiter, retry: PUSH_RETRY },
        ),
      ),
    );
    const result = response.responses.find((r) => r.sku === undefined || r.sku === sku);
    if (!result || result.statusCode >= 300) {
      throw new PushError(`eBay did not take the quantity: ${result?.errors.map((e) => e.message).join('; ') || 'no response for the SKU'}`, (result?.statusCode ?? 0) >= 500);
    }
  }
}

/** The stock client of a channel; throws PushError when the channel is not set up for stock pushes. */
export function stockPusherFor(channel: Channel, secrets: ChannelSecrets): StockPusher {
  switch (channel.type) {
    case 'shopify':
      return new ShopifyStock(channel, secrets);
    case 'woocommerce':
      return new WooStock(channel, secrets);
    case 'amazon':
      return new AmazonStock(channel, secrets);
    case 'ebay':
      return new EbayStock(channel, secrets);
    default:
      throw new PushError(`${channel.type} channels do not take stock pushes`, false);
  }
}
