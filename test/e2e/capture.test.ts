import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { LOCAL_AWS } from '#infra/local/dynamodb-local.ts';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { AmazonOrder, AmazonOrderItem, amazonToDraft } from '#shared/channels/amazon.ts';
import { EbayOrder, ebayToDraft } from '#shared/channels/ebay.ts';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { WooOrder, wooToDraft } from '#shared/channels/woocommerce.ts';
import { fixture, fixtureText } from '../support/channel-fixtures.ts';
import { fakeAmazon, fakeEbay, type FakeMarketplace } from '../support/fake-marketplaces.ts';
import { allItems } from '../support/table.ts';

/**
 * Every channel fixture through its real route into the running local OMS:
 * signed webhooks, marketplace polls against local fakes, and the REST API.
 */
const SHOPIFY_SECRET = 'shpss_capture_test_secret_0123456789abcdef';
const WOO_SECRET = 'woo_capture_test_secret_0123456789abcdef';
let oms: RunningOms;
let amazon: FakeMarketplace;
let ebay: FakeMarketplace;
let db: DynamoDBDocumentClient;

type Json = Record<string, unknown>;
const amazonOrders = fixture<{ payload: { Orders: Json[] } }>('amazon-spapi-getOrders.json').payload.Orders;
const amazonItems = fixture<{ payload: { OrderItems: Json[] } }>('amazon-spapi-getOrderItems.json').payload.OrderItems;
const baseAmazon = amazonOrders[0] as Json;
/** The fixture plus variants the poll must treat differently: a pending, a cancelled and an Amazon-fulfilled order. */
const amazonVariants: Json[] = [
  baseAmazon,
  { ...baseAmazon, AmazonOrderId: '113-0000000-0000001', OrderStatus: 'Pending', OrderTotal: undefined, LastUpdateDate: '2026-10-16T14:37:00Z' },
  { ...baseAmazon, AmazonOrderId: '113-0000000-0000002', OrderStatus: 'Canceled', LastUpdateDate: '2026-10-16T14:38:00Z' },
  { ...baseAmazon, AmazonOrderId: '113-0000000-0000003', FulfillmentChannel: 'AFN', LastUpdateDate: '2026-10-16T14:39:00Z' },
  { ...baseAmazon, AmazonOrderId: '113-0000000-0000004', LastUpdateDate: '2026-10-16T14:40:00Z' },
];

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Json & { error?: { code: string; details: { path: string; in?: string }[] } } };
}

function shopifyWebhook(body: string, headers: Record<string, string> = {}, secret = SHOPIFY_SECRET) {
  return fetch(`${oms.url}/webhooks/shopify-us`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': 'acme.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': hmacBase64(body, secret),
      ...headers,
    },
    body,
  });
}

beforeAll(async () => {
  amazon = await fakeAmazon({ orders: amazonVariants, items: Object.fromEntries(amazonVariants.map((o) => [String(o['AmazonOrderId']), amazonItems])) });
  ebay = await fakeEbay({ orders: fixture<{ orders: Json[] }>('ebay-getOrders.json').orders });
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-capture-${randomUUID()}`,
    apiToken: 'capture-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
    marketplaceRetry: { attempts: 3, baseDelayMs: 5 },
  });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: oms.dynamoEndpoint }));
  const channels: [string, Json][] = [
    ['shopify-us', { type: 'shopify', name: 'Acme US', settings: { shopDomain: 'acme.myshopify.com' }, secrets: { webhookSecret: SHOPIFY_SECRET } }],
    ['woo-de', { type: 'woocommerce', name: 'Acme DE', settings: { storeUrl: 'https://acme.example.de' }, secrets: { webhookSecret: WOO_SECRET } }],
    ['pos-soho', { type: 'pos', name: 'SoHo till', settings: { storeLocationId: 'store-soho' } }],
    [
      'amazon-us',
      {
        type: 'amazon',
        name: 'Amazon US',
        // A backfill from October, when the fixture orders were placed.
        settings: {
          marketplaceIds: ['ATVPDKIKX0DER'],
          clientId: 'amzn1.application-oa2-client.test',
          endpoint: amazon.url,
          tokenUrl: `${amazon.url}/auth/o2/token`,
          pollFrom: '2026-10-01T00:00:00.000Z',
        },
        secrets: { clientSecret: 'amzn-secret', refreshToken: 'Atzr|refresh' },
      },
    ],
    [
      'ebay-us',
      {
        type: 'ebay',
        name: 'eBay US',
        settings: { clientId: 'ebay-app', endpoint: ebay.url, tokenUrl: `${ebay.url}/identity/v1/oauth2/token`, pollFrom: '2026-10-01T00:00:00.000Z' },
        secrets: { clientSecret: 'ebay-secret', refreshToken: 'v^1.1#refresh' },
      },
    ],
  ];
  for (const [id, body] of channels) expect((await api('PUT', `/v1/channels/${id}`, body)).status).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  await amazon?.close();
  await ebay?.close();
});

const countOrdersOf = async (channelId: string) =>
  (await allItems(db, oms.tableName)).filter((i) => i['entity'] === 'Order' && (i['channel'] as Json)['channelId'] === channelId).length;

describe('Shopify webhooks', () => {
  it('turn the orders/create fixture into the canonical order, with its timeline, raw source and event', async () => {
    const body = fixtureText('shopify-orders-create.json');
    const response = await shopifyWebhook(body, { 'x-shopify-webhook-id': 'wh-create-1', 'x-correlation-id': 'corr-shopify-1' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'stored', deliveryId: 'wh-create-1', topic: 'orders/create' });
    await oms.settle();

    const { status, body: order } = await api('GET', '/v1/channels/shopify-us/orders/5821334503521');
    expect(status).toBe(200);
    const expected = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shopify-us' });
    // Captured, then reserved at once — with no stock loaded in this test, held for stock.
    expect(order).toMatchObject({ ...expected, status: 'on_hold', hold: { reason: 'out_of_stock' }, version: 2 });
    expect(order['orderId']).toMatch(/^[0-9A-Z]{26}$/);

    const timeline = await api('GET', `/v1/orders/${String(order['orderId'])}/timeline`);
    expect(timeline.body['items']).toEqual([
      expect.objectContaining({ type: 'received', actor: 'channel:shopify-us', correlationId: 'corr-shopify-1' }),
      expect.objectContaining({ type: 'held', actor: 'inventory', correlationId: 'corr-shopify-1' }),
    ]);
    const source = await api('GET', `/v1/orders/${String(order['orderId'])}/source`);
    expect(source.body['items']).toEqual([expect.objectContaining({ deliveryId: 'wh-create-1', via: 'webhook', topic: 'orders/create', body })]);
    const received = oms.events.list().filter((e) => e['detail-type'] === 'OrderReceived');
    expect(received.map((e) => (e.detail as { data: { order: { orderId: string } } }).data.order.orderId)).toContain(order['orderId']);
  });

  it('make exactly one order and one stored delivery from 20 concurrent deliveries, retried or replayed under new ids', async () => {
    const body = fixtureText('shopify-orders-create.json').replace('5821334503521', '5821334500020').replace('#1042', '#1043');
    const sameDelivery = await Promise.all(Array.from({ length: 20 }, () => shopifyWebhook(body, { 'x-shopify-webhook-id': 'wh-retried' })));
    expect(sameDelivery.map((r) => r.status)).toEqual(Array(20).fill(200));
    const outcomes = await Promise.all(sameDelivery.map(async (r) => ((await r.json()) as { outcome: string }).outcome));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
    // The same signed body under 20 new delivery ids (a replay: the id is not signed) is a duplicate every time.
    const distinctDeliveries = await Promise.all(Array.from({ length: 20 }, () => shopifyWebhook(body)));
    expect(distinctDeliveries.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await Promise.all(distinctDeliveries.map(async (r) => ((await r.json()) as { outcome: string }).outcome))).toEqual(Array(20).fill('duplicate'));
    await oms.settle();

    const orders = (await allItems(db, oms.tableName)).filter((i) => i['entity'] === 'Order' && i['orderId'] && (i['channel'] as Json)['externalOrderId'] === '5821334500020');
    expect(orders).toHaveLength(1);
    const orderId = String(orders[0]?.['orderId']);
    const sources = await api('GET', `/v1/orders/${orderId}/source?limit=100`);
    expect((sources.body['items'] as unknown[]).length).toBe(1);
    const events = oms.events.list().filter((e) => e['detail-type'] === 'OrderReceived' && JSON.stringify(e.detail).includes('5821334500020'));
    expect(events).toHaveLength(1);
    expect(oms.deadLetters.list()).toEqual([]);
  });

  it('apply an orders/updated change and an orders/cancelled, each on the timeline with its event', async () => {
    const original = fixture<Json>('shopify-orders-create.json');
    const updated = {
      ...original,
      id: 5821334500030,
      updated_at: '2026-10-14T10:00:00-04:00',
      shipping_address: { ...(original['shipping_address'] as Json), address1: '1 Beacon St', address2: null },
    };
    await shopifyWebhook(JSON.stringify({ ...original, id: 5821334500030 }));
    await oms.settle();
    await shopifyWebhook(JSON.stringify(updated), { 'x-shopify-topic': 'orders/updated' });
    await oms.settle();
    const { body: order } = await api('GET', '/v1/channels/shopify-us/orders/5821334500030');
    expect(order).toMatchObject({ version: 3, status: 'on_hold', shippingAddress: { lines: ['1 Beacon St'] } });

    await shopifyWebhook(JSON.stringify({ ...updated, cancelled_at: '2026-10-14T11:00:00-04:00', updated_at: '2026-10-14T11:00:00-04:00' }), {
      'x-shopify-topic': 'orders/cancelled',
    });
    await oms.settle();
    const cancelled = await api('GET', '/v1/channels/shopify-us/orders/5821334500030');
    expect(cancelled.body['status']).toBe('cancelled');
    const timeline = await api('GET', `/v1/orders/${String(order['orderId'])}/timeline`);
    expect((timeline.body['items'] as { type: string }[]).map((e) => e.type)).toEqual(['received', 'held', 'updated', 'cancelled']);
    const types = oms.events.list().filter((e) => JSON.stringify(e.detail).includes(String(order['orderId']))).map((e) => e['detail-type']);
    expect(types).toEqual(['OrderReceived', 'OrderBackordered', 'OrderUpdated', 'OrderCancelled']);
  });

  it('hold an order with a negative price for money review, reserving and charging nothing, until the shop corrects it', async () => {
    const original = fixture<Json>('shopify-orders-create.json');
    const lines = original['line_items'] as Json[];
    const negative = { ...original, id: 5821334500040, line_items: [{ ...lines[0], price: '-29.00' }, ...lines.slice(1)] };
    expect((await shopifyWebhook(JSON.stringify(negative))).status).toBe(200);
    await oms.settle();
    const { body: held } = await api('GET', '/v1/channels/shopify-us/orders/5821334500040');
    expect(held).toMatchObject({ status: 'on_hold', hold: { reason: 'money_review', note: expect.stringContaining('has a negative price, -$29.00') } });
    const orderId = String(held['orderId']);
    const timeline = async () => ((await api('GET', `/v1/orders/${orderId}/timeline`)).body['items'] as { type: string; message: string }[]);
    expect((await timeline()).find((e) => e.type === 'held')?.message).toMatch(/^Held for money review: .*negative price.*Not reserved, charged or invoiced/);
    const eventsOf = () => oms.events.list().filter((e) => JSON.stringify(e.detail).includes(orderId)).map((e) => e['detail-type']);
    expect(eventsOf()).toEqual(['OrderReceived']);
    expect((await api('GET', `/v1/orders/${orderId}/reservation`)).status).toBe(404);

    // The shop fixes the price: the hold is released and the order goes on to reservation like any other.
    await shopifyWebhook(JSON.stringify({ ...original, id: 5821334500040, updated_at: '2026-10-14T10:00:00-04:00' }), { 'x-shopify-topic': 'orders/updated' });
    await oms.settle();
    const { body: released } = await api('GET', '/v1/channels/shopify-us/orders/5821334500040');
    expect(released['hold']).not.toEqual(expect.objectContaining({ reason: 'money_review' }));
    expect((await timeline()).map((e) => e.type)).toEqual(expect.arrayContaining(['hold_released', 'updated']));
    expect(eventsOf().slice(0, 2)).toEqual(['OrderReceived', 'OrderUpdated']);
    // OrderUpdated (status received) starts the reservation asynchronously: wait for its outcome rather than the clock.
    for (let round = 0; round < 40 && eventsOf().length <= 2; round++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await oms.settle();
    }
    expect(eventsOf()[2]).toMatch(/^(StockReserved|OrderBackordered)$/);
    expect((await api('GET', `/v1/orders/${orderId}`)).body['status']).not.toBe('received');
  });

  it('refuse bad deliveries with the right status and store nothing', async () => {
    const body = fixtureText('shopify-orders-create.json');
    const before = (await allItems(db, oms.tableName)).length;
    const cases: [string, Promise<Response>, number, string?][] = [
      ['no signature', shopifyWebhook(body, { 'x-shopify-hmac-sha256': '' }), 401],
      ['wrong secret', shopifyWebhook(body, {}, 'not-the-secret'), 401],
      ['body changed after signing', fetch(`${oms.url}/webhooks/shopify-us`, { method: 'POST', headers: { 'x-shopify-topic': 'orders/create', 'x-shopify-hmac-sha256': hmacBase64(body, SHOPIFY_SECRET) }, body: body.replace('124.63', '1.00') }), 401],
      ['malformed JSON', shopifyWebhook('{"id": 1,'), 400],
      ['not an order', shopifyWebhook(JSON.stringify({ id: 1, hello: 'world' })), 422, 'line_items'],
      // Unknown channel, a channel without webhooks and a bad signature: the same 401, so nothing tells which channels exist.
      ['unknown channel', fetch(`${oms.url}/webhooks/nope`, { method: 'POST', body }), 401],
      ['a polled channel', fetch(`${oms.url}/webhooks/amazon-us`, { method: 'POST', body }), 401],
      ['over 1 MB', shopifyWebhook(JSON.stringify({ ...fixture<Json>('shopify-orders-create.json'), note: 'x'.repeat(1_100_000) })), 413],
    ];
    for (const [name, request, status, field] of cases) {
      const response = await request;
      expect(response.status, name).toBe(status);
      const error = ((await response.json()) as { error: { code: string; details: { path: string }[] } }).error;
      expect(error.code, name).toEqual(expect.any(String));
      if (field) expect(error.details.map((d) => d.path), name).toContain(field);
    }
    await oms.settle();
    expect((await allItems(db, oms.tableName)).length).toBe(before);
  });
});

describe('WooCommerce webhooks', () => {
  const woo = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${oms.url}/webhooks/woo-de`, {
      method: 'POST',
      headers: {
        'x-wc-webhook-topic': 'order.created',
        'x-wc-webhook-delivery-id': randomUUID(),
        'x-wc-webhook-signature': hmacBase64(body, WOO_SECRET),
        ...headers,
      },
      body,
    });

  it('answer the webhook_id ping with 200 and store nothing', async () => {
    const response = await woo('webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-topic': '' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'ping' });
  });

  it('turn the order.created fixture into the canonical order, keeping the totals warning on it, held for money review', async () => {
    expect((await woo(fixtureText('woocommerce-order-created.json'))).status).toBe(200);
    await oms.settle();
    const { body: order } = await api('GET', '/v1/channels/woo-de/orders/7311');
    // Its money does not add up (€54.05 by its own figures, €54.80 charged): held for a person, never reserved as is.
    expect(order).toMatchObject({ ...wooToDraft(WooOrder.parse(fixture('woocommerce-order-created.json')), { channelId: 'woo-de' }), status: 'on_hold', hold: { reason: 'money_review' } });
    expect(order['warnings']).toEqual([expect.objectContaining({ code: 'totals_mismatch' })]);
    const timeline = await api('GET', `/v1/orders/${String(order['orderId'])}/timeline`);
    expect((timeline.body['items'] as { type: string }[]).map((e) => e.type)).toEqual(['received', 'warning', 'held']);
  });

  it('acknowledge and ignore topics it does not consume', async () => {
    const response = await woo(JSON.stringify({ id: 1 }), { 'x-wc-webhook-topic': 'product.updated' });
    expect(await response.json()).toEqual({ outcome: 'ignored', topic: 'product.updated' });
  });

  it('connect as a new merchant would: the unsigned ping on saving the webhook is a 200 that stores nothing, then a signed order is captured', async () => {
    const ping = fixture<{ request: { method: string; headers: Record<string, string>; raw_body: string }; expected_response: { status: number } }>('woocommerce-webhook-ping.json');
    const before = await allItems(db, oms.tableName);
    // Exactly what WooCommerce sends when the webhook is saved: no signature, no X-WC-Webhook-* header.
    const saved = await fetch(`${oms.url}/webhooks/woo-de`, { method: ping.request.method, headers: ping.request.headers, body: ping.request.raw_body });
    expect(saved.status).toBe(ping.expected_response.status);
    expect(await saved.json()).toEqual({ outcome: 'ping' });
    // Anything else unsigned is still refused.
    const unsigned = await fetch(`${oms.url}/webhooks/woo-de`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fixtureText('woocommerce-order-created.json') });
    expect(unsigned.status).toBe(401);
    await oms.settle();
    expect(await allItems(db, oms.tableName)).toEqual(before);

    const order = { ...fixture('woocommerce-order-created.json'), id: 7400, number: '7400' };
    expect((await woo(JSON.stringify(order))).status).toBe(200);
    await oms.settle();
    const captured = await api('GET', '/v1/channels/woo-de/orders/7400');
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ channel: { channelId: 'woo-de', externalOrderId: '7400' }, lines: [expect.objectContaining({ sku: expect.any(String) })] });
  });
});

describe('what a channel webhook acknowledges, the OMS captures', () => {
  it('a Shopify order with a long note and a 150-character city: 200, then captured with the texts cut and a field_truncated warning each', async () => {
    const order = { ...fixture<Json & { shipping_address: Json }>('shopify-orders-create.json'), id: 5821334509001, name: '#9001' };
    const city = 'Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu — Hawke\'s Bay, North Island, New Zealand (Aotearoa), Earth .....';
    const body = JSON.stringify({ ...order, note: 'Ring-the-bell.'.repeat(536), shipping_address: { ...order.shipping_address, city } });
    expect(city).toHaveLength(150);
    expect((await shopifyWebhook(body)).status).toBe(200);
    await oms.settle();
    const { status, body: captured } = await api('GET', '/v1/channels/shopify-us/orders/5821334509001');
    expect(status).toBe(200);
    expect(captured).toMatchObject({ notes: expect.any(String), shippingAddress: { city: city.slice(0, 100).trimEnd() } });
    expect((captured['notes'] as string).length).toBe(5000);
    expect(captured['warnings']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'field_truncated', details: { field: 'notes', originalLength: 7504, keptLength: 5000 } }),
        expect.objectContaining({ code: 'field_truncated', details: { field: 'shippingAddress.city', originalLength: 150, keptLength: 100 } }),
      ]),
    );
    expect(oms.deadLetters.list().filter((d) => /capture/i.test(d.target))).toEqual([]);
  });

  it('a Shopify line of 150,000 units: refused with a 422 naming the field before it is acknowledged, nothing stored', async () => {
    const order = fixture<Json & { line_items: Json[] }>('shopify-orders-create.json');
    const body = JSON.stringify({ ...order, id: 5821334509002, line_items: order.line_items.map((line, i) => (i === 0 ? { ...line, quantity: 150_000 } : line)) });
    const before = await allItems(db, oms.tableName);
    const response = await shopifyWebhook(body);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain('line_items.0.quantity');
    await oms.settle();
    expect(await allItems(db, oms.tableName)).toEqual(before);
  });
});

describe('Amazon polling', () => {
  it('captures every page of changed orders, holding Pending, cancelling Canceled and recording AFN without routing', async () => {
    amazon.failNext(/^\/orders\/v0\/orders$/, 429); // the first getOrders is throttled: back off and retry
    expect((await api('POST', '/v1/channels/amazon-us/sync')).status).toBe(202);
    await oms.settle();

    const fixtureOrder = await api('GET', '/v1/channels/amazon-us/orders/113-4829105-2204251');
    const expected = amazonToDraft(AmazonOrder.parse(baseAmazon), amazonItems.map((i) => AmazonOrderItem.parse(i)), { channelId: 'amazon-us' });
    expect(fixtureOrder.body).toMatchObject({ ...expected, status: 'on_hold', hold: { reason: 'out_of_stock' } });
    expect((await api('GET', '/v1/channels/amazon-us/orders/113-0000000-0000001')).body).toMatchObject({ status: 'on_hold', hold: { reason: 'payment_pending' }, payment: { state: 'pending' } });
    expect((await api('GET', '/v1/channels/amazon-us/orders/113-0000000-0000002')).body).toMatchObject({ status: 'cancelled' });
    expect((await api('GET', '/v1/channels/amazon-us/orders/113-0000000-0000003')).body).toMatchObject({ status: 'fulfilled_by_channel', fulfillment: { fulfilledBy: 'channel' } });

    const sync = await api('GET', '/v1/channels/amazon-us/sync');
    expect(sync.body['state']).toMatchObject({ lastRun: { trigger: 'manual', pages: 3, fetched: 5, stored: 5, caughtUp: true } });
    expect(amazon.requests.filter((r) => r.path === '/auth/o2/token')).toHaveLength(1); // the token is cached
    expect(amazon.requests.filter((r) => r.path === '/orders/v0/orders').length).toBe(4); // 3 pages + 1 throttled
  });

  it('polls again without duplicating anything', async () => {
    const before = await countOrdersOf('amazon-us');
    expect((await api('POST', '/v1/channels/amazon-us/sync')).status).toBe(202);
    await oms.settle();
    expect(await countOrdersOf('amazon-us')).toBe(before);
  });

  it('refuses to poll a channel that is not a marketplace', async () => {
    expect(await api('POST', '/v1/channels/shopify-us/sync')).toMatchObject({ status: 409, body: { error: { code: 'not_polled' } } });
    expect((await api('POST', '/v1/channels/nope/sync')).status).toBe(404);
  });
});

describe('polling resilience and schedules', () => {
  it('resumes after a crash mid-poll from the last stored page: nothing lost, nothing twice', async () => {
    const orders = Array.from({ length: 5 }, (_, i) => ({ ...baseAmazon, AmazonOrderId: `114-0000000-000000${i}`, LastUpdateDate: `2026-10-17T10:0${i}:00Z` }));
    const flaky = await fakeAmazon({ orders, items: Object.fromEntries(orders.map((o) => [o.AmazonOrderId, amazonItems])), pageSize: 2 });
    try {
      await api('PUT', '/v1/channels/amazon-flaky', {
        type: 'amazon',
        name: 'Amazon flaky',
        settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'c', endpoint: flaky.url, tokenUrl: `${flaky.url}/auth/o2/token`, pollFrom: '2026-10-01T00:00:00.000Z' },
        secrets: { clientSecret: 's', refreshToken: 'r' },
      });
      // Page 2 fails every attempt of the first run (3 with this runtime's retry budget) and of Lambda's 2 retries of the
      // asynchronous poll invocation: the poll ends in the on-failure destination, its first page kept.
      flaky.failNext(/^\/orders\/v0\/orders$/, 500, 9, (query) => query.has('NextToken'));
      await api('POST', '/v1/channels/amazon-flaky/sync');
      await oms.settle();
      const afterCrash = await api('GET', '/v1/channels/amazon-flaky/sync');
      expect(afterCrash.body['state']).toMatchObject({ cursor: expect.any(String), lastRun: { caughtUp: false, error: expect.stringContaining('500') } });
      expect(await countOrdersOf('amazon-flaky')).toBe(2);
      expect(oms.failedInvocations.list().filter((f) => JSON.stringify(f.requestPayload).includes('amazon-flaky'))).toEqual([
        expect.objectContaining({ requestContext: expect.objectContaining({ functionArn: expect.stringContaining(':function:pollChannel'), approximateInvokeCount: 3 }) }),
      ]);

      await api('POST', '/v1/channels/amazon-flaky/sync');
      await oms.settle();
      expect(await countOrdersOf('amazon-flaky')).toBe(5);
      expect((await api('GET', '/v1/channels/amazon-flaky/sync')).body['state']).toMatchObject({ lastRun: { pages: 2, stored: 3, caughtUp: true } });
    } finally {
      await flaky.close();
    }
  });

  it('keeps a poll schedule per active marketplace channel, at its interval', async () => {
    expect(oms.scheduler.get('oms-local/oms-poll-amazon-us')).toMatchObject({ expression: 'rate(5 minutes)', target: { function: 'pollChannel' }, input: { channelId: 'amazon-us', trigger: 'schedule' } });
    expect(oms.scheduler.get('oms-local/oms-poll-ebay-us')).toBeDefined();
    expect(oms.scheduler.get('oms-local/oms-poll-shopify-us')).toBeUndefined();
    const amazonSettings = { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'c', pollIntervalMinutes: 15 };
    await api('PUT', '/v1/channels/amazon-ca', { type: 'amazon', name: 'Amazon CA', settings: amazonSettings, secrets: { clientSecret: 's', refreshToken: 'r' } });
    await oms.settle();
    expect(oms.scheduler.get('oms-local/oms-poll-amazon-ca')?.expression).toBe('rate(15 minutes)');
    await api('PUT', '/v1/channels/amazon-ca', { type: 'amazon', name: 'Amazon CA', active: false, settings: amazonSettings });
    await oms.settle();
    expect(oms.scheduler.get('oms-local/oms-poll-amazon-ca')).toBeUndefined();
  });
});

describe('Shopify through an EventBridge partner event source', () => {
  it('unwraps the envelope into the same inbox and captures the order', async () => {
    const payload = { ...fixture<Json>('shopify-orders-create.json'), id: 5821334500099, name: '#2099' };
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'shopifyWebhook',
      source: 'aws.partner/shopify.com/123456/acme-orders',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        metadata: {
          'Content-Type': 'application/json',
          'X-Shopify-Topic': 'orders/create',
          'X-Shopify-Shop-Domain': 'acme.myshopify.com',
          'X-Shopify-Webhook-Id': 'eb-webhook-1',
          'X-Shopify-API-Version': '2026-10',
        },
        payload,
      },
    };
    expect(await oms.lambdas.invoke('receiveShopifyEvent', event)).toEqual({ outcome: 'stored', deliveryId: 'eb-webhook-1', topic: 'orders/create' });
    await oms.settle();
    const order = await api('GET', '/v1/channels/shopify-us/orders/5821334500099');
    expect(order.body).toMatchObject({ channel: { externalNumber: '#2099' }, status: 'on_hold' });
    expect((await api('GET', `/v1/orders/${String(order.body['orderId'])}/source`)).body['items']).toEqual([
      expect.objectContaining({ via: 'eventbridge', deliveryId: 'eb-webhook-1' }),
    ]);
    await expect(
      oms.lambdas.invoke('receiveShopifyEvent', { ...event, detail: { ...event.detail, metadata: { ...event.detail.metadata, 'X-Shopify-Shop-Domain': 'other.myshopify.com' } } }),
    ).rejects.toThrow(/No Shopify channel/);
    // Domains are compared as domains: any letter case names the same shop.
    const upper = { ...event, detail: { metadata: { ...event.detail.metadata, 'X-Shopify-Shop-Domain': 'ACME.myshopify.com', 'X-Shopify-Webhook-Id': 'eb-webhook-2' }, payload: { ...payload, id: 5821334500098 } } };
    expect(await oms.lambdas.invoke('receiveShopifyEvent', upper)).toEqual({ outcome: 'stored', deliveryId: 'eb-webhook-2', topic: 'orders/create' });
  });
});

describe('eBay polling', () => {
  it('turns the getOrders fixture into the canonical order', async () => {
    expect((await api('POST', '/v1/channels/ebay-us/sync')).status).toBe(202);
    await oms.settle();
    const { body: order } = await api('GET', '/v1/channels/ebay-us/orders/12-11223-44556');
    const expected = ebayToDraft(EbayOrder.parse(fixture<{ orders: Json[] }>('ebay-getOrders.json').orders[0]), { channelId: 'ebay-us' });
    expect(order).toMatchObject({ ...expected, status: 'on_hold' });
    expect((await api('GET', `/v1/orders/${String(order['orderId'])}/source`)).body['items']).toEqual([expect.objectContaining({ via: 'poll' })]);
  });
});

describe('POST /v1/orders (POS and web store)', () => {
  const posOrder = {
    channelId: 'pos-soho',
    externalNumber: 'T42-0001',
    currency: 'USD',
    lines: [{ sku: 'MUG-CER-350', title: 'Ceramic Mug', quantity: 2, unitPrice: 1500, tax: 266 }],
    fulfillment: { type: 'carry_out', locationId: 'store-soho' },
    payment: { state: 'paid', provider: 'square', reference: 'sq_123' },
    total: 3266,
  };

  it('creates the order once and replays the first answer for the same Idempotency-Key and body', async () => {
    const first = await api('POST', '/v1/orders', posOrder, { 'idempotency-key': 'till-42-0001' });
    expect(first).toMatchObject({ status: 201, body: { outcome: 'created', order: { status: 'received', channel: { channelId: 'pos-soho', externalOrderId: 'till-42-0001' } } } });
    const replays = await Promise.all(Array.from({ length: 5 }, () => api('POST', '/v1/orders', posOrder, { 'idempotency-key': 'till-42-0001' })));
    for (const replay of replays) expect(replay).toEqual(first);
    expect(await countOrdersOf('pos-soho')).toBe(1);
  });

  it('refuses the same key with another body (409), no key (422), and non-API channels (422)', async () => {
    expect(await api('POST', '/v1/orders', { ...posOrder, notes: 'another body' }, { 'idempotency-key': 'till-42-0001' })).toMatchObject({
      status: 409,
      body: { error: { code: 'idempotency_key_reused' } },
    });
    const noKey = await api('POST', '/v1/orders', posOrder);
    expect(noKey.status).toBe(422);
    expect(noKey.body.error?.details).toEqual([expect.objectContaining({ in: 'header', path: 'idempotency-key' })]);
    const wrongChannel = await api('POST', '/v1/orders', { ...posOrder, channelId: 'shopify-us' }, { 'idempotency-key': 'k-2' });
    expect(wrongChannel).toMatchObject({ status: 422, body: { error: { details: [{ path: 'channelId' }] } } });
    // A refused request gives its key back: the corrected request can use it.
    expect((await api('POST', '/v1/orders', posOrder, { 'idempotency-key': 'k-2' })).status).toBe(201);
  });
});

describe('reading orders', () => {
  it('lists newest first with cursor paging, filtered by channel and status, without gaps or repeats', async () => {
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api('GET', `/v1/orders?limit=2&from=2026-01-01T00:00:00.000Z${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...(page.body['items'] as { orderId: string }[]).map((o) => o.orderId));
      cursor = page.body['nextCursor'] as string | undefined;
    } while (cursor);
    const orders = (await allItems(db, oms.tableName)).filter((i) => i['entity'] === 'Order');
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(orders.length);
    const placed = all.map((id) => String(orders.find((o) => o['orderId'] === id)?.['channelCreatedAt']));
    expect([...placed].sort().reverse()).toEqual(placed);

    const amazonOnly = await api('GET', '/v1/orders?channelId=amazon-us&from=2026-01-01T00:00:00.000Z');
    expect((amazonOnly.body['items'] as { channel: { channelId: string } }[]).every((o) => o.channel.channelId === 'amazon-us')).toBe(true);
    const cancelled = await api('GET', '/v1/orders?status=cancelled&from=2026-01-01T00:00:00.000Z');
    expect((cancelled.body['items'] as { status: string }[]).map((o) => o.status)).toEqual(['cancelled', 'cancelled']);
    const both = await api('GET', '/v1/orders?channelId=amazon-us&status=on_hold&from=2026-01-01T00:00:00.000Z');
    const held = both.body['items'] as { status: string; hold: { reason: string }; channel: { channelId: string; externalOrderId: string } }[];
    expect(held.every((o) => o.status === 'on_hold' && o.channel.channelId === 'amazon-us')).toBe(true);
    expect(held.find((o) => o.channel.externalOrderId === '113-0000000-0000001')?.hold.reason).toBe('payment_pending');
  });

  it('answers 404 for unknown orders and 422 for a cursor from another list', async () => {
    expect((await api('GET', '/v1/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
    expect((await api('GET', '/v1/orders/not-an-id/timeline')).status).toBe(404);
    const page = await api('GET', '/v1/orders?limit=1&channelId=amazon-us&from=2026-01-01T00:00:00.000Z');
    const reused = await api('GET', `/v1/orders?limit=1&channelId=ebay-us&cursor=${String(page.body['nextCursor'])}`);
    expect(reused).toMatchObject({ status: 422, body: { error: { details: [{ path: 'cursor' }] } } });
  });
});
