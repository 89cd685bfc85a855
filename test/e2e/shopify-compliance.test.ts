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
 * Shopify's mandatory compliance webhooks in the running local OMS, with the
 * payloads Shopify documents (test/fixtures/channels/writeback/shopify-webhook-*):
 * each is verified like an order webhook, stored as a compliance request and
 * answered 200, then acted on from the compliance queue. Maria ordered on
 * the Shopify channel and on the web store with the same e-mail: Shopify's
 * requests reach her Shopify order only.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { items?: Json[]; error?: { code: string } } };
type ComplianceFixture = { request: { headers: Record<string, string>; body: Json } };
let oms: RunningOms;
let tableName: string;
let db: DynamoDBDocumentClient;
const SECRET = 'shpss_compliance_e2e_0123456789abcdef0123';
const SHOP = 'fixture-store.myshopify.com';
const PERSONAL = [/maria/i, /lopez/i, /tremont/i, /6175550142/];

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

/** POSTs a webhook to the channel's URL, signed with `secret` (the channel's unless told), and lets the OMS settle. */
async function deliver(topic: string, payload: Json, options: { secret?: string; shop?: string; webhookId?: string } = {}): Promise<Reply> {
  const body = JSON.stringify(payload);
  const response = await fetch(`${oms.url}/webhooks/shopify-us`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': options.shop ?? SHOP,
      'x-shopify-api-version': '2026-10',
      'x-shopify-webhook-id': options.webhookId ?? randomUUID(),
      'x-shopify-hmac-sha256': hmacBase64(body, options.secret ?? SECRET),
    },
    body,
  });
  const text = await response.text();
  await oms.settle();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

const compliance = (name: string) => fixture<ComplianceFixture>(`writeback/shopify-webhook-${name}.json`).request;
const complianceItems = async () => (await allItems(db, tableName)).filter((item) => String(item['PK']).startsWith('COMPLIANCE#'));
const personalIn = (value: unknown) => PERSONAL.filter((pattern) => pattern.test(JSON.stringify(value)));

beforeAll(async () => {
  tableName = `oms-compliance-${randomUUID()}`;
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') }));
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName, apiToken: 'compliance-token-0123456789abcdef', logLevel: 'ERROR', schedules: false });
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  const shopify = await api('PUT', '/v1/channels/shopify-us', {
    type: 'shopify',
    name: 'Fixture store',
    settings: { shopDomain: SHOP },
    secrets: { webhookSecret: SECRET },
  });
  expect(shopify.status, JSON.stringify(shopify.body)).toBe(201);
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('Shopify compliance webhooks, end to end', () => {
  const customerId = customerIdOf('maria.lopez@example.com');
  let webOrderId: string;
  let shopifyOrderId: string;
  let otherShopifyOrderId: string;

  it('has Maria\'s orders on Shopify and on the web store, and another Shopify customer\'s order', async () => {
    const placed = await api(
      'POST',
      '/v1/orders',
      {
        channelId: 'web-store',
        externalOrderId: 'web-2001',
        currency: 'USD',
        customer: { name: 'Maria Lopez', email: 'Maria.Lopez@Example.COM', phone: '+16175550142' },
        shippingAddress: { name: 'Maria Lopez', lines: ['88 Tremont St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
        lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: 1500, tax: 0 }],
        shipping: { price: 0 },
        fulfillment: { type: 'ship' },
        payment: { state: 'paid' },
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    webOrderId = String((placed.body['order'] as Json)['orderId']);

    const order = fixture('shopify-orders-create.json');
    expect((await deliver('orders/create', order)).status).toBe(200);
    const other = {
      ...order,
      id: 5821334509999,
      name: '#1099',
      order_number: 1099,
      email: 'jo.other@example.net',
      phone: null,
      customer: { id: 7012345670000, email: 'jo.other@example.net', first_name: 'Jo', last_name: 'Other', phone: null },
      shipping_address: { ...(order['shipping_address'] as Json), first_name: 'Jo', last_name: 'Other', address1: '1 Elm Rd', address2: null, phone: null },
      billing_address: { ...(order['billing_address'] as Json), first_name: 'Jo', last_name: 'Other', address1: '1 Elm Rd', address2: null, phone: null },
    };
    expect((await deliver('orders/create', other)).status).toBe(200);

    const orders = (await api('GET', '/v1/orders?channelId=shopify-us')).body.items ?? [];
    shopifyOrderId = String(orders.find((o) => (o['channel'] as Json)['externalOrderId'] === '5821334503521')?.['orderId']);
    otherShopifyOrderId = String(orders.find((o) => (o['channel'] as Json)['externalOrderId'] === '5821334509999')?.['orderId']);
    expect(shopifyOrderId).toMatch(/^[0-9A-Z]{26}$/);
    expect(otherShopifyOrderId).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('refuses a compliance webhook with a bad signature, or signed for another shop, with 401 and writes nothing', async () => {
    const { body } = compliance('customers-redact');
    const before = await allItems(db, tableName);
    const forged = await deliver('customers/redact', body, { secret: 'not-the-channel-secret-0123456789abcdef' });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('unauthorized');
    // Signed with the channel's secret, but the header or the signed body names another shop.
    expect((await deliver('customers/redact', body, { shop: 'someone-else.myshopify.com' })).status).toBe(401);
    expect((await deliver('customers/redact', { ...body, shop_domain: 'someone-else.myshopify.com' })).status).toBe(401);
    // Not the topic's body: 422 naming the field.
    const malformed = await deliver('customers/redact', { shop_domain: SHOP, customer: { email: 'maria.lopez@example.com' }, orders_to_redact: 'all' });
    expect(malformed.status).toBe(422);
    expect(JSON.stringify(malformed.body)).toContain('orders_to_redact');
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('records a data request for the merchant (ids only), with the Shopify order and the export route, and sends nothing', async () => {
    const { body } = compliance('customers-data-request');
    const messages = async () => (await allItems(db, tableName)).filter((item) => String(item['SK']).startsWith('TOCUSTOMER#') || item['detailType'] === 'CustomerNotified');
    const messagesBefore = await messages();
    const reply = await deliver('customers/data_request', body);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ outcome: 'stored', topic: 'customers/data_request' });

    const listed = await api('GET', '/v1/channels/shopify-us/compliance-requests');
    expect(listed.status).toBe(200);
    const request = (listed.body.items ?? []).find((r) => r['topic'] === 'customers/data_request');
    expect(request).toMatchObject({
      status: 'completed',
      customerId,
      shopifyCustomerId: '7012345678901',
      shopifyOrderIds: ['5821334503521', '5821334503522'],
      shopifyDataRequestId: '9901',
      result: { orderIds: [shopifyOrderId], erasureIds: [], export: `/v1/customers/${customerId}/export` },
    });
    expect(request?.['requestId']).toBe(reply.body['deliveryId']);
    // The request keeps no e-mail or phone; the export route answers the data for the merchant to send.
    expect(personalIn(await complianceItems())).toEqual([]);
    const exported = await api('GET', String((request?.['result'] as Json)['export']));
    expect(exported.status).toBe(200);
    expect(personalIn(exported.body).length).toBeGreaterThan(0);
    // Nothing was sent to anyone: no new customer message.
    expect(await messages()).toEqual(messagesBefore);
    expect((await api('GET', '/v1/channels/nowhere/compliance-requests')).status).toBe(404);
    // The list and the export are for admins: a read key gets 403.
    const created = await api('POST', '/v1/api-keys', { name: 'Analyst', scopes: ['read'] });
    expect(created.status).toBe(201);
    const readKey = { authorization: `Bearer ${String(created.body['secret'])}` };
    expect((await api('GET', '/v1/channels/shopify-us/compliance-requests', undefined, readKey)).status).toBe(403);
  });

  it('customers/redact erases Maria\'s Shopify order only: the web store order keeps her data, the erasure is on her audit trail', async () => {
    const { body } = compliance('customers-redact');
    const reply = await deliver('customers/redact', body);
    expect(reply.status).toBe(200);
    expect(reply.body['outcome']).toBe('stored');

    const shopifyOrder = (await api('GET', `/v1/orders/${shopifyOrderId}`)).body;
    expect(shopifyOrder['customer']).toEqual({ name: 'Erased customer' });
    expect(personalIn(shopifyOrder)).toEqual([]);
    expect((await api('GET', `/v1/orders/${shopifyOrderId}/source`)).body.items).toEqual([]);
    const timeline = (await api('GET', `/v1/orders/${shopifyOrderId}/timeline?limit=100`)).body.items ?? [];
    expect(timeline.find((e) => e['type'] === 'personal_data_erased')?.['actor']).toBe('channel:shopify-us');

    const webOrder = (await api('GET', `/v1/orders/${webOrderId}`)).body;
    expect((webOrder['customer'] as Json)['email']).toBe('Maria.Lopez@Example.COM');
    expect(webOrder['erasure']).toBeUndefined();
    // The other Shopify customer's order is untouched.
    expect(((await api('GET', `/v1/orders/${otherShopifyOrderId}`)).body['customer'] as Json)['email']).toBe('jo.other@example.net');

    const exported = (await api('GET', `/v1/customers/${customerId}/export`)).body;
    expect((exported['orders'] as { order: Json }[]).map((o) => o.order['orderId'])).toEqual([webOrderId]);
    expect(exported['erasures']).toEqual([
      expect.objectContaining({ requestedBy: 'channel:shopify-us', requestId: reply.body['deliveryId'], orderIds: [shopifyOrderId] }),
    ]);
    const request = ((await api('GET', '/v1/channels/shopify-us/compliance-requests')).body.items ?? []).find((r) => r['topic'] === 'customers/redact');
    expect(request).toMatchObject({ status: 'completed', result: { orderIds: [shopifyOrderId] } });
    expect((request?.['result'] as { erasureIds: string[] }).erasureIds).toEqual([(exported['erasures'] as Json[])[0]?.['erasureId']]);
  });

  it('the same redaction again (Shopify\'s retry, or a replay under a new webhook id) is a duplicate that writes nothing', async () => {
    const { body, headers } = compliance('customers-redact');
    const before = await allItems(db, tableName);
    const retry = await deliver('customers/redact', body, { webhookId: headers['X-Shopify-Webhook-Id'] });
    expect(retry.status).toBe(200);
    expect(retry.body['outcome']).toBe('duplicate');
    expect((await deliver('customers/redact', body)).body['outcome']).toBe('duplicate');
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('shop/redact erases every order of the channel, removes its secrets and deactivates it; the web store is untouched', async () => {
    const { body } = compliance('shop-redact');
    const reply = await deliver('shop/redact', body);
    expect(reply.status).toBe(200);

    const other = (await api('GET', `/v1/orders/${otherShopifyOrderId}`)).body;
    expect(other['customer']).toEqual({ name: 'Erased customer' });
    expect(JSON.stringify(other)).not.toMatch(/Jo Other|Elm Rd|jo\.other/);
    expect(((await api('GET', `/v1/orders/${webOrderId}`)).body['customer'] as Json)['email']).toBe('Maria.Lopez@Example.COM');

    const channel = (await api('GET', '/v1/channels/shopify-us')).body;
    expect(channel).toMatchObject({ active: false, secretsConfigured: [] });
    expect((await allItems(db, tableName)).filter((item) => item['PK'] === 'CHANNEL#shopify-us' && item['SK'] === 'SECRETS')).toEqual([]);
    const request = ((await api('GET', '/v1/channels/shopify-us/compliance-requests')).body.items ?? []).find((r) => r['topic'] === 'shop/redact');
    expect(request).toMatchObject({ status: 'completed', progress: { ordersSeen: 2, ordersErased: 1 }, result: { secretsRemoved: true } });

    // Without its secret the channel takes no more webhooks.
    expect((await deliver('orders/create', fixture('shopify-orders-create.json'))).status).toBe(401);
  });
});
