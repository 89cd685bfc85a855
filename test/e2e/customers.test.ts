import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { LOCAL_AWS } from '#infra/local/dynamodb-local.ts';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { customerIdOf } from '#shared/domain/customer.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { allItems } from '../support/table.ts';

/**
 * The customer index, GDPR export and erasure in the running local OMS: one
 * person ordering on the web store and on Shopify with the same e-mail in
 * another letter case is one customer; the export holds both orders with
 * their raw payloads; erasure leaves the orders (for accounting) without
 * anything personal, deletes the raw payloads, and a later Shopify delivery
 * of the same order does not bring the data back.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { items?: Json[]; error?: { code: string } } };
let oms: RunningOms;
let tableName: string;
const SHOPIFY_SECRET = 'shpss_customers_e2e_0123456789abcdef0123';
/** What identifies Maria in the Shopify fixture and in the web order below. */
const PERSONAL = [/maria/i, /lopez/i, /tremont/i, /6175550142/, /apt 4/i];

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

async function shopifyDelivery(topic: string, payload: Json): Promise<number> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${oms.url}/webhooks/shopify-us`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': 'acme.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-hmac-sha256': hmacBase64(body, SHOPIFY_SECRET),
    },
    body,
  });
  await oms.settle();
  return response.status;
}

const personalIn = (value: unknown) => PERSONAL.filter((pattern) => pattern.test(JSON.stringify(value)));

beforeAll(async () => {
  tableName = `oms-customers-${randomUUID()}`;
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName, apiToken: 'customers-token-0123456789abcdef', logLevel: 'ERROR', schedules: false });
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  const shopify = await api('PUT', '/v1/channels/shopify-us', {
    type: 'shopify',
    name: 'Acme US',
    settings: { shopDomain: 'acme.myshopify.com', apiVersion: '2026-04' },
    secrets: { webhookSecret: SHOPIFY_SECRET },
  });
  expect(shopify.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('customers: index, export and erasure, end to end', () => {
  const shopifyOrder = fixture('shopify-orders-create.json');
  let customerId: string;
  let webOrderId: string;
  let shopifyOrderId: string;

  it('files orders from two channels with the same e-mail in another letter case under one customer', async () => {
    const placed = await api(
      'POST',
      '/v1/orders',
      {
        channelId: 'web-store',
        externalOrderId: 'web-1001',
        currency: 'USD',
        customer: { name: 'Maria Lopez', email: 'Maria.Lopez@Example.COM', phone: '+16175550142', smsConsent: true },
        shippingAddress: { name: 'Maria Lopez', lines: ['88 Tremont St', 'Apt 4'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
        lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: 1500, tax: 0 }],
        shipping: { price: 0 },
        fulfillment: { type: 'ship' },
        payment: { state: 'paid' },
        notes: 'Leave it with Maria Lopez next door',
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    webOrderId = String((placed.body['order'] as Json)['orderId']);
    expect(await shopifyDelivery('orders/create', shopifyOrder)).toBe(200);

    const found = await api('GET', `/v1/customers?email=${encodeURIComponent('MARIA.lopez@example.com')}`);
    expect(found.status).toBe(200);
    customerId = String(found.body['customerId']);
    expect(customerId).toBe(customerIdOf('maria.lopez@example.com'));
    expect(customerId).not.toContain('maria');
    expect(found.body['erased']).toBe(false);

    const orders = await api('GET', `/v1/customers/${customerId}/orders`);
    expect(orders.status).toBe(200);
    expect((orders.body.items ?? []).map((o) => (o['channel'] as Json)['channelId']).sort()).toEqual(['shopify-us', 'web-store']);
    shopifyOrderId = String((orders.body.items ?? []).find((o) => (o['channel'] as Json)['channelId'] === 'shopify-us')?.['orderId']);

    // Cursor paging: one order a page.
    const first = await api('GET', `/v1/customers/${customerId}/orders?limit=1`);
    expect(first.body.items).toHaveLength(1);
    const second = await api('GET', `/v1/customers/${customerId}/orders?limit=1&cursor=${String(first.body['nextCursor'])}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items?.[0]?.['orderId']).not.toBe(first.body.items?.[0]?.['orderId']);
    expect((await api('GET', `/v1/customers/${customerId}/orders?cursor=bm90LWEtY3Vyc29y`)).status).toBe(422);
  });

  it('exports everything held about the customer: both orders, their raw payloads and timelines', async () => {
    const exported = await api('GET', `/v1/customers/${customerId}/export`);
    expect(exported.status).toBe(200);
    const orders = exported.body['orders'] as { order: Json; sources: { body: string }[]; timeline: Json[]; notifications: Json[] }[];
    expect(orders.map((o) => o.order['orderId']).sort()).toEqual([webOrderId, shopifyOrderId].sort());
    const shopify = orders.find((o) => o.order['orderId'] === shopifyOrderId);
    expect(shopify?.sources[0]?.body).toContain('88 Tremont St');
    expect(shopify?.timeline.map((e) => e['type'])).toContain('received');
    expect(personalIn(exported.body)).toHaveLength(PERSONAL.length);
    expect(exported.body['erasures']).toEqual([]);
  });

  it('erases: orders kept with pseudonyms, raw payloads gone, nothing personal left in the table or the export', async () => {
    const erased = await api('POST', `/v1/customers/${customerId}/erase`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    const erasure = erased.body['erasure'] as Json;
    expect((erasure['orderIds'] as string[]).sort()).toEqual([webOrderId, shopifyOrderId].sort());
    expect(personalIn(erased.body)).toEqual([]);

    for (const orderId of [webOrderId, shopifyOrderId]) {
      const order = (await api('GET', `/v1/orders/${orderId}`)).body;
      expect(order['customer']).toEqual({ name: 'Erased customer' });
      expect(order['shippingAddress']).toEqual({ name: 'Erased customer', lines: [], country: 'US', region: 'MA' });
      expect(order['erasure']).toEqual({ erasureId: erasure['erasureId'], erasedAt: erasure['erasedAt'] });
      expect((order['lines'] as Json[]).length).toBeGreaterThan(0);
      expect((await api('GET', `/v1/orders/${orderId}/source`)).body.items).toEqual([]);
      const timeline = (await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? [];
      expect(timeline.map((e) => e['type'])).toContain('personal_data_erased');
      expect(personalIn(timeline), JSON.stringify(timeline)).toEqual([]);
    }
    // The customer no longer has orders in the index, but is known as erased.
    expect((await api('GET', `/v1/customers/${customerId}/orders`)).body.items).toEqual([]);
    expect((await api('GET', `/v1/customers?email=maria.lopez@example.com`)).body).toEqual({ customerId, erased: true });
    const exported = await api('GET', `/v1/customers/${customerId}/export`);
    expect(exported.body['orders']).toEqual([]);
    expect(personalIn(exported.body)).toEqual([]);

    // Nothing personal stays in any item, apart from the outbox (published events, TTL 3 days) and REST idempotency records (TTL 24 h): docs/security.md.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') }));
    const leftovers = (await allItems(db, tableName)).filter((item) => !/^(EVENT|IDEMPOTENCY)#/.test(String(item['PK'])) && personalIn(item).length > 0);
    expect(leftovers.map((item) => `${String(item['PK'])} ${String(item['SK'])}`)).toEqual([]);
  });

  it('a replay of the captured, signed Shopify body under a new webhook id after erasure is a duplicate: nothing written, nothing personal back', async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') }));
    const before = await allItems(db, tableName);
    // The erased delivery's inbox item lost its body and headers but keeps its key (the body's digest) for its week.
    const emptied = before.filter((item) => item['entity'] === 'InboxErased');
    expect(emptied.length).toBeGreaterThan(0);
    expect(emptied.filter((item) => 'body' in item || 'headers' in item)).toEqual([]);
    const body = JSON.stringify(shopifyOrder);
    const response = await fetch(`${oms.url}/webhooks/shopify-us`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-shop-domain': 'acme.myshopify.com',
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-hmac-sha256': hmacBase64(body, SHOPIFY_SECRET),
      },
      body,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json)['outcome']).toBe('duplicate');
    await oms.settle();
    expect(await allItems(db, tableName)).toEqual(before);
    expect((await api('GET', `/v1/orders/${shopifyOrderId}/source`)).body.items).toEqual([]);
  });

  it('a later Shopify delivery of an erased order does not bring the data back, and erasing again is idempotent', async () => {
    const later = { ...shopifyOrder, updated_at: '2026-10-15T10:00:00-04:00', note: 'Call Maria Lopez' };
    expect(await shopifyDelivery('orders/updated', later)).toBe(200);
    const order = (await api('GET', `/v1/orders/${shopifyOrderId}`)).body;
    expect(order['customer']).toEqual({ name: 'Erased customer' });
    expect(personalIn(order)).toEqual([]);
    expect(personalIn((await api('GET', `/v1/orders/${shopifyOrderId}/source`)).body)).toEqual([]);
    expect((await api('GET', `/v1/customers/${customerId}/orders`)).body.items).toEqual([]);

    const again = await api('POST', `/v1/customers/${customerId}/erase`);
    expect(again.status).toBe(200);
    expect(again.body['erasure']).toBeUndefined();
    expect((again.body['record'] as { erasures: unknown[] }).erasures).toHaveLength(1);
  });

  it('answers 404 for a customer it never saw and 422 for an id that is not one', async () => {
    const unknown = customerIdOf('nobody@example.com');
    expect((await api('GET', `/v1/customers/${unknown}/orders`)).status).toBe(404);
    expect((await api('GET', `/v1/customers/${unknown}/export`)).status).toBe(404);
    expect((await api('POST', `/v1/customers/${unknown}/erase`)).status).toBe(404);
    expect((await api('GET', '/v1/customers?email=nobody@example.com')).status).toBe(404);
    expect((await api('GET', '/v1/customers/maria@example.com/orders')).status).toBe(422);
    expect((await api('GET', '/v1/customers?email=not-an-email')).status).toBe(422);
  });
});
