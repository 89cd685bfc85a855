import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { fakeShopifyAdmin } from '../support/fake-channels.ts';
import type { FakeMarketplace } from '../support/fake-marketplaces.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * Inventory through the running local OMS, over HTTP: movements, stock
 * reads, reservations made by the event rules when orders arrive, sales on
 * shipment, releases on cancellation, backorders served by receipts, and
 * available-to-sell figures pushed to a (fake) Shopify.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; details: { path: string; in?: string }[] }; results?: Json[]; items?: Json[] } };
const SHOPIFY_LOCATION = 'gid://shopify/Location/7001';
let oms: RunningOms;
let shopify: FakeMarketplace;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

const receipt = (sku: string, locationId: string, quantity: number) => ({ type: 'receipt', movementId: randomUUID(), sku, locationId, quantity });
async function receive(sku: string, locationId: string, quantity: number): Promise<void> {
  expect((await api('POST', '/v1/inventory/movements', receipt(sku, locationId, quantity))).status).toBe(201);
}

let orderCount = 0;
async function placeOrder(lines: { sku: string; quantity: number }[], payment: 'paid' | 'pending' = 'paid'): Promise<string> {
  const key = `web-${++orderCount}-${randomUUID()}`;
  const reply = await api(
    'POST',
    '/v1/orders',
    {
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
      lines: lines.map((l) => ({ sku: l.sku, title: l.sku, quantity: l.quantity, unitPrice: 1000 })),
      fulfillment: { type: 'ship' },
      payment: { state: payment },
    },
    { 'idempotency-key': key },
  );
  expect(reply.status).toBe(201);
  return String((reply.body['order'] as Json)['orderId']);
}

const order = async (orderId: string) => (await api('GET', `/v1/orders/${orderId}`)).body;
const stock = async (sku: string) => (await api('GET', `/v1/inventory/${sku}`)).body as { total: Json; locations: Json[]; channels: Json[] };

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  shopify = await fakeShopifyAdmin({
    accessToken: 'shpat_e2e',
    locationId: SHOPIFY_LOCATION,
    inventoryItems: ['gid://shopify/InventoryItem/11', 'gid://shopify/InventoryItem/12', 'gid://shopify/InventoryItem/13'],
  });
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-inventory-${randomUUID()}`,
    apiToken: 'inventory-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
    marketplaceRetry: { attempts: 3, baseDelayMs: 5 },
    queueBatchingWindowMs: 200,
  });
  for (const id of ['wh-east', 'wh-west']) expect((await api('PUT', `/v1/locations/${id}`, locationBody({ name: id }))).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  expect(
    (
      await api('PUT', '/v1/channels/shopify-us', {
        type: 'shopify',
        name: 'Acme US',
        settings: { shopDomain: 'acme.myshopify.com', adminUrl: shopify.url, inventoryLocationId: SHOPIFY_LOCATION },
        secrets: { webhookSecret: 'shpss_inventory_e2e_0123456789abcdef012', adminAccessToken: 'shpat_e2e' },
      })
    ).status,
  ).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  await shopify?.close();
});

describe('stock movements over HTTP', () => {
  it('applies a single movement once (201, then 200 duplicate) and a batch with a result per movement', async () => {
    const first = receipt('MUG-1', 'wh-east', 10);
    expect(await api('POST', '/v1/inventory/movements', first)).toMatchObject({ status: 201, body: { results: [{ movementId: first.movementId, status: 'applied' }] } });
    expect(await api('POST', '/v1/inventory/movements', first)).toMatchObject({ status: 200, body: { results: [{ status: 'duplicate' }] } });

    const batch = await api('POST', '/v1/inventory/movements', {
      movements: [
        receipt('MUG-1', 'wh-west', 6),
        { type: 'transfer', movementId: 'tr-1', sku: 'MUG-1', fromLocationId: 'wh-east', toLocationId: 'wh-west', quantity: 2 },
        { type: 'safety_stock', movementId: 'ss-1', sku: 'MUG-1', locationId: 'wh-west', safetyStock: 1 },
        { type: 'write_off', movementId: 'wo-1', sku: 'MUG-1', locationId: 'wh-east', quantity: 99, reason: 'flood' },
        receipt('MUG-1', 'nowhere', 1),
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results?.map((r) => r['status'])).toEqual(['applied', 'applied', 'applied', 'rejected', 'rejected']);
    expect(batch.body.results?.[3]?.['reason']).toMatch(/Not enough on hand at wh-east/);
    expect(batch.body.results?.[4]?.['reason']).toMatch(/Unknown location nowhere/);

    expect(await stock('MUG-1')).toMatchObject({
      locations: [
        { locationId: 'wh-east', onHand: 8, reserved: 0, safetyStock: 0, available: 8 },
        { locationId: 'wh-west', onHand: 8, reserved: 0, safetyStock: 1, available: 7 },
      ],
      total: { onHand: 16, reserved: 0, safetyStock: 1, available: 15 },
      channels: [],
    });
    const movements = await api('GET', '/v1/inventory/MUG-1/movements?limit=10');
    expect(movements.body.items?.map((m) => m['type'])).toEqual(['safety_stock', 'transfer_in', 'transfer_out', 'receipt', 'receipt']);
  });

  it('answers bad input with a clear 4xx and the OMS error body, and writes nothing', async () => {
    const before = await stock('MUG-1');
    const cases: [string, Promise<Reply>, number, string?][] = [
      ['unknown location', api('POST', '/v1/inventory/movements', receipt('MUG-1', 'nowhere', 1)), 422, 'locationId'],
      ['transfer to an unknown location', api('POST', '/v1/inventory/movements', { type: 'transfer', movementId: 'tr-x', sku: 'MUG-1', fromLocationId: 'wh-east', toLocationId: 'nowhere', quantity: 1 }), 422, 'toLocationId'],
      ['transfer to itself', api('POST', '/v1/inventory/movements', { type: 'transfer', movementId: 'tr-y', sku: 'MUG-1', fromLocationId: 'wh-east', toLocationId: 'wh-east', quantity: 1 }), 422, 'fromLocationId,toLocationId'],
      ['more than on hand', api('POST', '/v1/inventory/movements', { type: 'write_off', movementId: 'wo-2', sku: 'MUG-1', locationId: 'wh-east', quantity: 9, reason: 'x' }), 409],
      ['malformed JSON', api('POST', '/v1/inventory/movements', '{"type":'), 400],
      ['no quantity', api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: 'r-x', sku: 'MUG-1', locationId: 'wh-east' }), 422, 'quantity'],
      ['zero adjustment', api('POST', '/v1/inventory/movements', { type: 'adjustment', movementId: 'a-x', sku: 'MUG-1', locationId: 'wh-east', quantity: 0, reason: 'x' }), 422, 'quantity'],
      ['batch over 100', api('POST', '/v1/inventory/movements', { movements: Array.from({ length: 101 }, () => receipt('MUG-1', 'wh-east', 1)) }), 422],
      ['no token', api('POST', '/v1/inventory/movements', receipt('MUG-1', 'wh-east', 1), { authorization: '' }), 401],
      ['unknown SKU', api('GET', '/v1/inventory/NO-SUCH-SKU'), 404],
      ['unknown location list', api('GET', '/v1/inventory?locationId=nowhere'), 404],
      ['listing on a web channel', api('PUT', '/v1/channels/web-store/listings/MUG-1', { type: 'shopify', inventoryItemId: '11' }), 422, 'channelId'],
      ['listing of another type', api('PUT', '/v1/channels/shopify-us/listings/MUG-1', { type: 'ebay' }), 422, 'type'],
      ['listing on an unknown channel', api('PUT', '/v1/channels/nope/listings/MUG-1', { type: 'ebay' }), 404],
    ];
    for (const [name, request, status, field] of cases) {
      const reply = await request;
      expect(reply.status, name).toBe(status);
      expect(reply.body.error, name).toMatchObject({ code: expect.any(String), message: expect.any(String), details: expect.any(Array) });
      if (field) expect(reply.body.error?.details.map((d) => d.path).join(','), name).toBe(field);
    }
    expect((await api('POST', '/v1/inventory/movements', { type: 'write_off', movementId: 'wo-3', sku: 'MUG-1', locationId: 'wh-east', quantity: 9, reason: 'x' })).body.error?.code).toBe('insufficient_stock');
    expect(await stock('MUG-1')).toEqual(before);
    expect((await api('GET', '/v1/inventory/MUG-1/movements?limit=100')).body.items).toHaveLength(5);
  });

  it('lists the stock of a location, and only low stock against the reorder point', async () => {
    await receive('PLATE-1', 'wh-east', 3);
    expect((await api('PUT', '/v1/inventory/PLATE-1/policy', { reorderPoint: 5 })).status).toBe(200);
    const all = await api('GET', '/v1/inventory?locationId=wh-east');
    expect(all.body.items?.map((i) => i['sku'])).toEqual(['MUG-1', 'PLATE-1']);
    const low = await api('GET', '/v1/inventory?locationId=wh-east&lowStock=true');
    expect(low.body.items).toEqual([expect.objectContaining({ sku: 'PLATE-1', available: 3 })]);
    // A position created after the policy takes its reorder point.
    await receive('PLATE-1', 'wh-west', 2);
    expect((await api('GET', '/v1/inventory?locationId=wh-west&lowStock=true')).body.items).toEqual([expect.objectContaining({ sku: 'PLATE-1', available: 2 })]);
  });
});

describe('orders reserve stock by themselves', () => {
  it('reserves a new order, sells it on shipment and releases a cancelled one, each on the ledger, the timeline and the bus', async () => {
    await receive('BOWL-1', 'wh-east', 5);
    const shipped = await placeOrder([{ sku: 'BOWL-1', quantity: 2 }]);
    const cancelled = await placeOrder([{ sku: 'BOWL-1', quantity: 1 }]);
    await oms.settle();
    // Reserved, then handed to wh-east by the fulfillment workflow.
    expect(await order(shipped)).toMatchObject({ status: 'routed' });
    expect((await api('GET', `/v1/orders/${shipped}/reservation`)).body).toMatchObject({ allocations: [{ sku: 'BOWL-1', locationId: 'wh-east', quantity: 2 }] });
    expect((await stock('BOWL-1')).total).toMatchObject({ onHand: 5, reserved: 3, available: 2 });

    expect((await api('POST', `/v1/orders/${shipped}/shipments`, { locationId: 'wh-east', lines: [{ sku: 'BOWL-1', quantity: 2 }], carrier: 'UPS', trackingNumber: '1Z999' })).status).toBe(201);
    expect((await api('POST', `/v1/orders/${cancelled}/cancel`, { reason: 'customer changed mind' })).status).toBe(200);
    await oms.settle();

    expect((await stock('BOWL-1')).total).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await order(shipped)).toMatchObject({ status: 'shipped' });
    expect(await order(cancelled)).toMatchObject({ status: 'cancelled' });
    const ledger = (await api('GET', '/v1/inventory/BOWL-1/movements')).body.items?.map((m) => m['type']);
    expect(ledger?.sort()).toEqual(['receipt', 'release', 'reservation', 'reservation', 'sale']);
    const timeline = JSON.stringify((await api('GET', `/v1/orders/${cancelled}/timeline`)).body);
    expect(timeline).toMatch(/reserved/i);
    expect(timeline).toMatch(/released/i);
    const published = oms.events.list().map((e) => e['detail-type']);
    for (const type of ['StockReserved', 'StockReleased', 'ShipmentShipped', 'AvailabilityChanged']) expect(published).toContain(type);
  });

  it('holds a short order, backorders one whose SKU allows it, and serves both when stock arrives', async () => {
    expect((await api('PUT', '/v1/inventory/VASE-1/policy', { backorder: 'allowed' })).status).toBe(200);
    await receive('VASE-1', 'wh-west', 1);
    const held = await placeOrder([{ sku: 'LAMP-1', quantity: 2 }]);
    const backordered = await placeOrder([{ sku: 'VASE-1', quantity: 3 }]);
    await oms.settle();
    expect(await order(held)).toMatchObject({ status: 'on_hold', hold: { reason: 'out_of_stock' } });
    expect(await order(backordered)).toMatchObject({ status: 'backordered' });
    expect((await api('GET', `/v1/orders/${backordered}/reservation`)).body).toMatchObject({ backordered: [{ sku: 'VASE-1', quantity: 2 }] });

    await receive('LAMP-1', 'wh-east', 5);
    await receive('VASE-1', 'wh-east', 2);
    await oms.settle();
    expect(await order(held)).toMatchObject({ status: 'routed' });
    expect(await order(backordered)).toMatchObject({ status: 'routed' });
    expect((await stock('VASE-1')).total).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    expect(oms.events.list().map((e) => e['detail-type'])).toContain('OrderBackordered');
  });
});

describe('available-to-sell on the channels', () => {
  it('pushes the figure when a SKU is listed and after each change, and shows it on the SKU', async () => {
    await receive('CUP-1', 'wh-east', 7);
    await receive('CUP-1', 'wh-west', 3);
    const listed = await api('PUT', '/v1/channels/shopify-us/listings/CUP-1', { type: 'shopify', inventoryItemId: '11' });
    expect(listed).toMatchObject({ status: 201, body: { channelId: 'shopify-us', sku: 'CUP-1', active: true, version: 1, push: { status: 'pending' } } });
    // The same listing again changes nothing; a stale If-Match is refused.
    expect(await api('PUT', '/v1/channels/shopify-us/listings/CUP-1', { type: 'shopify', inventoryItemId: '11' })).toMatchObject({ status: 200, body: { version: 1 } });
    expect((await api('PUT', '/v1/channels/shopify-us/listings/CUP-1', { type: 'shopify', inventoryItemId: '12' }, { 'if-match': '"7"' })).status).toBe(412);
    await oms.settle();
    expect(shopify.stockUpdates.filter((u) => u.key === 'gid://shopify/InventoryItem/11').at(-1)).toEqual({ key: 'gid://shopify/InventoryItem/11', quantity: 10 });

    await placeOrder([{ sku: 'CUP-1', quantity: 4 }]);
    await oms.settle();
    expect(shopify.stockUpdates.filter((u) => u.key === 'gid://shopify/InventoryItem/11').at(-1)?.quantity).toBe(6);
    expect((await stock('CUP-1')).channels).toEqual([{ channelId: 'shopify-us', active: true, available: 6, push: expect.objectContaining({ status: 'in_sync', pushed: 6 }) }]);
    expect((await api('GET', '/v1/channels/shopify-us/listings')).body.items).toEqual([expect.objectContaining({ sku: 'CUP-1', push: expect.objectContaining({ pushed: 6 }) })]);
    const listingEvents = oms.events.list().filter((e) => e['detail-type'] === 'ListingChanged' && JSON.stringify(e.detail).includes('"CUP-1"'));
    expect(listingEvents).toHaveLength(1);
  });

  it('sends one update with the latest figure for a burst of 100 sales', async () => {
    await receive('BURST-1', 'wh-east', 150);
    expect((await api('PUT', '/v1/channels/shopify-us/listings/BURST-1', { type: 'shopify', inventoryItemId: '12' })).status).toBe(201);
    await oms.settle();
    const item = 'gid://shopify/InventoryItem/12';
    expect(shopify.stockUpdates.filter((u) => u.key === item)).toEqual([{ key: item, quantity: 150 }]);

    // The burst arrives while the pusher is busy elsewhere: every change waits in the queue together.
    const queue = oms.queues.availability;
    queue.pause();
    const orders: string[] = [];
    for (let wave = 0; wave < 10; wave++) orders.push(...(await Promise.all(Array.from({ length: 10 }, () => placeOrder([{ sku: 'BURST-1', quantity: 1 }])))));
    await until('100 reservations', async () => (await stock('BURST-1')).total['reserved'] === 100);
    await until('100 queued changes', async () => queue.depth >= 100);
    queue.resume();
    await oms.settle();

    expect(shopify.stockUpdates.filter((u) => u.key === item)).toEqual([
      { key: item, quantity: 150 },
      { key: item, quantity: 50 },
    ]);
    expect(oms.deadLetters.list()).toEqual([]);
  });

  it('retries a channel outage through the queue, and shows a refusal that needs a person on the SKU', async () => {
    await receive('JUG-1', 'wh-east', 4);
    expect((await api('PUT', '/v1/channels/shopify-us/listings/JUG-1', { type: 'shopify', inventoryItemId: '13' })).status).toBe(201);
    shopify.failNext(/graphql/, 503, 4); // more than one push's in-call retries: the message goes back to the queue
    await oms.settle();
    expect(shopify.stockUpdates.filter((u) => u.key === 'gid://shopify/InventoryItem/13')).toEqual([{ key: 'gid://shopify/InventoryItem/13', quantity: 4 }]);
    expect((await api('GET', '/v1/channels/shopify-us/listings/JUG-1')).body).toMatchObject({ push: { status: 'in_sync', pushed: 4, failures: 0 } });

    await receive('TRAY-1', 'wh-east', 2);
    expect((await api('PUT', '/v1/channels/shopify-us/listings/TRAY-1', { type: 'shopify', inventoryItemId: '404' })).status).toBe(201);
    await oms.settle();
    expect((await stock('TRAY-1')).channels).toEqual([
      {
        channelId: 'shopify-us',
        active: true,
        available: 2,
        push: expect.objectContaining({ status: 'failing', failures: 1, lastError: expect.stringContaining('inventory item could not be found') }),
      },
    ]);
    expect(oms.deadLetters.list()).toEqual([]);
  });

  it('stops pushing to a removed listing', async () => {
    expect((await api('DELETE', '/v1/channels/shopify-us/listings/TRAY-1')).status).toBe(204);
    expect((await api('GET', '/v1/channels/shopify-us/listings/TRAY-1')).status).toBe(404);
    expect((await api('DELETE', '/v1/channels/shopify-us/listings/TRAY-1')).status).toBe(404);
    const requests = shopify.requests.length;
    await receive('TRAY-1', 'wh-east', 1);
    await oms.settle();
    expect(shopify.requests.length).toBe(requests);
    expect((await stock('TRAY-1')).channels).toEqual([]);
  });
});
