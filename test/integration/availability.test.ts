import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StockPusher } from '#shared/ports.ts';
import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { newId } from '#shared/domain/ids.ts';
import { ChannelInput } from '#shared/domain/channel.ts';
import { ListingInput } from '#shared/domain/listing.ts';
import { applyMovements } from '#shared/use-cases/inventory.ts';
import { putChannel } from '#shared/use-cases/channels.ts';
import { deleteListing, getListing, putListing, pushAvailability, type AvailabilityDeps } from '#shared/use-cases/availability.ts';
import { fakeShopifyAdmin, fakeWooCommerce } from '../support/fake-channels.ts';
import { fakeAmazon, fakeEbay, type FakeMarketplace } from '../support/fake-marketplaces.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { useTestTable } from '../support/table.ts';

/**
 * Available-to-sell pushes against DynamoDB Local and local fakes of the four
 * channel APIs, through the real adapters: which figure each channel gets,
 * when nothing is sent, failures (retryable or not) and their visibility,
 * and the ordering guarantee under concurrent pushes.
 */
const SHOPIFY_LOCATION = 'gid://shopify/Location/7001';
let world: ReturnType<typeof inventoryWorld>;
let deps: AvailabilityDeps;
let shopify: FakeMarketplace;
let woo: FakeMarketplace;
let amazon: FakeMarketplace;
let ebay: FakeMarketplace;
let pusherFor: (channel: Channel, secrets: ChannelSecrets) => StockPusher;

const channelDeps = () => ({ channels: world.channels, clock: systemClock });
const move = async (sku: string, locationId: string, quantity: number, type: 'receipt' | 'write_off' = 'receipt') => {
  const [result] = await applyMovements(
    { inventory: world.inventory, locations: world.locations, clock: systemClock },
    { movements: [{ type, movementId: newId(), sku, locationId, quantity, reason: 'test' }], actor: 'test' },
  );
  expect(result?.status).toBe('applied');
};
const list = (channelId: string, sku: string, input: Record<string, unknown>) =>
  putListing({ listings: world.listings, channels: world.channels, clock: systemClock }, { channelId, sku, input: ListingInput.parse(input), actor: 'test' });

beforeAll(async () => {
  process.env['OMS_MARKETPLACE_RETRY_BASE_MS'] = '5';
  ({ stockPusherFor: pusherFor } = await import('#shared/adapters/channel-stock.ts'));
  const { db, tableName } = await useTestTable();
  world = inventoryWorld(db, tableName);
  shopify = await fakeShopifyAdmin({ accessToken: 'shpat_test', locationId: SHOPIFY_LOCATION, inventoryItems: ['gid://shopify/InventoryItem/501', 'gid://shopify/InventoryItem/502'] });
  woo = await fakeWooCommerce({ consumerKey: 'ck_test', consumerSecret: 'cs_test', products: { 801: [], 802: [901, 902] } });
  amazon = await fakeAmazon({ orders: [], items: {}, listings: ['ATS-1', 'AMZ-ATS-2'] });
  ebay = await fakeEbay({ orders: [], inventorySkus: ['ATS-1'] });
  deps = {
    inventory: world.inventory,
    listings: world.listings,
    channels: world.channels,
    activeLocations: world.activeLocations,
    pusherFor: (channel, secrets) => pusherFor(channel, secrets),
    clock: systemClock,
    busyWaitsMs: [50, 200, 500, 1_000, 2_000],
  };

  await world.location('wh-east');
  await world.location('wh-west');
  await world.location('store-soho', { type: 'store', capabilities: ['pickup'] });
  const channels: [string, unknown][] = [
    [
      'shopify-us',
      {
        type: 'shopify',
        name: 'Acme US',
        settings: { shopDomain: 'acme.myshopify.com', adminUrl: shopify.url, inventoryLocationId: SHOPIFY_LOCATION },
        secrets: { webhookSecret: 'shpss_availability_secret_0123456789', adminAccessToken: 'shpat_test' },
      },
    ],
    ['woo-de', { type: 'woocommerce', name: 'Acme DE', settings: { storeUrl: woo.url, stockLocationIds: ['wh-east'] }, secrets: { webhookSecret: 'woo-availability-secret-0123456789ab', consumerKey: 'ck_test', consumerSecret: 'cs_test' } }],
    [
      'amazon-us',
      {
        type: 'amazon',
        name: 'Amazon US',
        settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn-client', endpoint: amazon.url, tokenUrl: `${amazon.url}/auth/o2/token`, sellerId: 'A2SELLER0001', stockBuffer: 2 },
        secrets: { clientSecret: 'amzn-secret', refreshToken: 'Atzr|refresh' },
      },
    ],
    [
      'ebay-us',
      {
        type: 'ebay',
        name: 'eBay US',
        settings: { clientId: 'ebay-app', endpoint: ebay.url, tokenUrl: `${ebay.url}/identity/v1/oauth2/token` },
        secrets: { clientSecret: 'ebay-secret', refreshToken: 'v^1.1#refresh' },
      },
    ],
    ['shopify-no-token', { type: 'shopify', name: 'No token', settings: { shopDomain: 'other.myshopify.com', adminUrl: shopify.url, inventoryLocationId: SHOPIFY_LOCATION }, secrets: { webhookSecret: 'shpss_no_token_secret_0123456789abcdef' } }],
  ];
  for (const [channelId, body] of channels) await putChannel(channelDeps(), { channelId, input: ChannelInput.parse(body), actor: 'test' });
});

afterAll(async () => {
  await Promise.all([shopify, woo, amazon, ebay].map((fake) => fake?.close()));
});

describe('available-to-sell pushes', () => {
  it('send each channel the figure of its own locations, less its buffers, through its real API', async () => {
    await move('ATS-1', 'wh-east', 10);
    await move('ATS-1', 'wh-west', 5);
    await move('ATS-1', 'store-soho', 7); // pickup only: no channel ships from it
    await world.inventory.putPolicy('ATS-1', { backorder: 'not_allowed', shards: 1, reorderPoint: 0, channelBuffers: { 'amazon-us': 1 } }, 0, 1);
    await list('shopify-us', 'ATS-1', { type: 'shopify', inventoryItemId: '501' });
    await list('woo-de', 'ATS-1', { type: 'woocommerce', productId: 801 });
    await list('amazon-us', 'ATS-1', { type: 'amazon' });
    await list('ebay-us', 'ATS-1', { type: 'ebay' });

    const outcomes = await pushAvailability(deps, 'ATS-1');
    expect(outcomes.sort((a, b) => a.channelId.localeCompare(b.channelId))).toEqual([
      { channelId: 'amazon-us', status: 'pushed', quantity: 12 }, // 15 − channel buffer 2 − SKU buffer 1
      { channelId: 'ebay-us', status: 'pushed', quantity: 15 }, // wh-east + wh-west
      { channelId: 'shopify-us', status: 'pushed', quantity: 15 },
      { channelId: 'woo-de', status: 'pushed', quantity: 10 }, // wh-east only
    ]);
    expect(shopify.stockUpdates).toEqual([{ key: 'gid://shopify/InventoryItem/501', quantity: 15 }]);
    expect(woo.stockUpdates).toEqual([{ key: '801', quantity: 10 }]);
    expect(amazon.stockUpdates).toEqual([{ key: 'ATS-1', quantity: 12 }]);
    expect(ebay.stockUpdates).toEqual([{ key: 'ATS-1', quantity: 15 }]);
    expect(await getListing(deps, 'shopify-us', 'ATS-1')).toMatchObject({ push: { status: 'in_sync', pushed: 15, failures: 0, pushedAt: expect.any(String) } });
  });

  it('send nothing when every channel already shows the figure, and only the change after a movement', async () => {
    const before = [shopify, woo, amazon, ebay].map((fake) => fake.requests.length);
    expect((await pushAvailability(deps, 'ATS-1')).map((o) => o.status)).toEqual(['in_sync', 'in_sync', 'in_sync', 'in_sync']);
    expect([shopify, woo, amazon, ebay].map((fake) => fake.requests.length)).toEqual(before);

    await move('ATS-1', 'wh-west', 2, 'write_off'); // woo-de does not sell wh-west's stock
    const outcomes = await pushAvailability(deps, 'ATS-1');
    expect(Object.fromEntries(outcomes.map((o) => [o.channelId, o.status]))).toEqual({ 'shopify-us': 'pushed', 'woo-de': 'in_sync', 'amazon-us': 'pushed', 'ebay-us': 'pushed' });
    expect(shopify.stockUpdates.at(-1)).toEqual({ key: 'gid://shopify/InventoryItem/501', quantity: 13 });
    expect(amazon.stockUpdates.at(-1)).toEqual({ key: 'ATS-1', quantity: 10 });
  });

  it('push variations and channel SKUs, and never a negative figure', async () => {
    await move('ATS-2', 'wh-east', 1);
    await list('woo-de', 'ATS-2', { type: 'woocommerce', productId: 802, variationId: 902 });
    await list('amazon-us', 'ATS-2', { type: 'amazon', channelSku: 'AMZ-ATS-2' });
    await pushAvailability(deps, 'ATS-2');
    expect(woo.stockUpdates.at(-1)).toEqual({ key: '802/902', quantity: 1 });
    expect(amazon.stockUpdates.at(-1)).toEqual({ key: 'AMZ-ATS-2', quantity: 0 }); // 1 − buffer 2, floored at 0
  });

  it('retry an outage within the push, then report it as retryable and show it on the listing', async () => {
    await move('ATS-1', 'wh-east', 1);
    shopify.failNext(/graphql/, 503, 1);
    expect((await pushAvailability(deps, 'ATS-1')).find((o) => o.channelId === 'shopify-us')).toEqual({ channelId: 'shopify-us', status: 'pushed', quantity: 14 });

    await move('ATS-1', 'wh-east', 1);
    shopify.failNext(/graphql/, 503, 3);
    const failed = (await pushAvailability(deps, 'ATS-1')).find((o) => o.channelId === 'shopify-us');
    expect(failed).toMatchObject({ status: 'failed', retryable: true, quantity: 15 });
    expect(await getListing(deps, 'shopify-us', 'ATS-1')).toMatchObject({ push: { status: 'failing', pushed: 14, failures: 1, lastError: expect.stringContaining('503') } });

    // The queue's redelivery: the channel is back.
    expect((await pushAvailability(deps, 'ATS-1')).find((o) => o.channelId === 'shopify-us')).toEqual({ channelId: 'shopify-us', status: 'pushed', quantity: 15 });
    const listing = await getListing(deps, 'shopify-us', 'ATS-1');
    expect(listing.push).toMatchObject({ status: 'in_sync', pushed: 15, failures: 0 });
    expect(listing.push.lastError).toBeUndefined();
  });

  it('report refusals that retrying cannot fix as final, with the channel\'s reason', async () => {
    await move('ATS-3', 'wh-east', 4);
    await list('shopify-us', 'ATS-3', { type: 'shopify', inventoryItemId: '999' }); // unknown to Shopify
    await list('ebay-us', 'ATS-3', { type: 'ebay' }); // no eBay inventory item
    await list('woo-de', 'ATS-3', { type: 'woocommerce', productId: 4040 }); // no such product
    await list('shopify-no-token', 'ATS-3', { type: 'shopify', inventoryItemId: '502' });
    const outcomes = Object.fromEntries((await pushAvailability(deps, 'ATS-3')).map((o) => [o.channelId, o]));
    expect(outcomes['shopify-us']).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('inventory item could not be found') });
    expect(outcomes['ebay-us']).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('not available in the system') });
    expect(outcomes['woo-de']).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('404') });
    expect(outcomes['shopify-no-token']).toMatchObject({ status: 'failed', retryable: false, error: expect.stringContaining('no adminAccessToken secret') });
    expect(await getListing(deps, 'ebay-us', 'ATS-3')).toMatchObject({ push: { status: 'failing', failures: 1 } });
  });

  it('keep the eBay inventory token apart from the order-polling token of the same refresh token', async () => {
    const { EbayFulfillmentOrders } = await import('#shared/adapters/ebay-fulfillment.ts');
    // ATS-1 has been pushed to eBay above (token scope sell.inventory); polling orders needs sell.fulfillment.readonly.
    const orders = new EbayFulfillmentOrders(
      { endpoint: ebay.url, tokenUrl: `${ebay.url}/identity/v1/oauth2/token`, clientId: 'ebay-app' },
      { clientSecret: 'ebay-secret', refreshToken: 'v^1.1#refresh' },
    );
    await expect(orders.page({ from: '2026-10-01T00:00:00.000Z', to: '2026-10-02T00:00:00.000Z' }, undefined)).resolves.toMatchObject({ orders: [] });
    const scopes = ebay.requests.filter((r) => r.path === '/identity/v1/oauth2/token').length;
    expect(scopes).toBe(2);
  });

  it('skip inactive listings and removed ones', async () => {
    await move('ATS-4', 'wh-east', 3);
    await list('shopify-us', 'ATS-4', { type: 'shopify', inventoryItemId: '502', active: false });
    expect(await pushAvailability(deps, 'ATS-4')).toEqual([{ channelId: 'shopify-us', status: 'skipped', reason: 'listing inactive' }]);
    await deleteListing({ listings: world.listings, channels: world.channels, clock: systemClock }, { channelId: 'shopify-us', sku: 'ATS-4', actor: 'test' });
    expect(await pushAvailability(deps, 'ATS-4')).toEqual([]);
  });

  it('never send an older figure after a newer one, however pushes and sales interleave', async () => {
    await move('RACE-1', 'wh-east', 60);
    await list('shopify-us', 'RACE-1', { type: 'shopify', inventoryItemId: '502' });
    await pushAvailability(deps, 'RACE-1');
    const start = shopify.stockUpdates.length;
    // Slow answers keep each push's lease held while other pushes and sales happen.
    shopify.slowNext(/graphql/, 40, 1_000);
    const pushes: Promise<unknown>[] = [];
    for (let sale = 0; sale < 30; sale++) {
      await move('RACE-1', 'wh-east', 1, 'write_off');
      pushes.push(pushAvailability(deps, 'RACE-1'));
      if (sale % 3 === 0) pushes.push(pushAvailability(deps, 'RACE-1'));
    }
    const outcomes = (await Promise.all(pushes)) as { status: string }[][];
    // A push that found the lease busy past its waits is answered `busy` (the queue retries it); one more run settles.
    await pushAvailability(deps, 'RACE-1');

    const figures = shopify.stockUpdates.slice(start).map((u) => u.quantity);
    expect(figures.at(-1)).toBe(30);
    for (let i = 1; i < figures.length; i++) expect(figures[i], `figure ${i} of ${figures.join(',')}`).toBeLessThan(figures[i - 1] ?? Infinity);
    expect(figures.length).toBeLessThan(outcomes.length); // runs that found the channel already showing the figure sent nothing
    expect(await getListing(deps, 'shopify-us', 'RACE-1')).toMatchObject({ push: { status: 'in_sync', pushed: 30 } });
  });
});
