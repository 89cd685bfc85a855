import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody, must } from '../support/fixtures.ts';
import { startFakeEasyPost, type FakeEasyPost } from '../support/fake-easypost.ts';

/**
 * The local runtime with CARRIER_PROVIDER=easypost against the fake EasyPost:
 * an order routed and labelled through EasyPost (rate → buy once), shipped by
 * its location, then EasyPost's signed tracker webhooks take it to delivered.
 */
type Json = Record<string, unknown>;
let oms: RunningOms;
let fake: FakeEasyPost;
const WEBHOOK_SECRET = 'easypost-e2e-sécret-0123456789abcdef0123';
const saved: Record<string, string | undefined> = {};

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
}

async function tracker(trackingCode: string, status: string, minutes: number, secret = WEBHOOK_SECRET): Promise<{ status: number; body: Json }> {
  const { raw } = fake.trackerEvent(trackingCode, status, { datetime: new Date(Date.now() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  const response = await fetch(`${oms.url}/webhooks/carriers/easypost`, { method: 'POST', headers: fake.signedHeaders(raw, secret), body: raw });
  await oms.settle();
  return { status: response.status, body: (await response.json()) as Json };
}

beforeAll(async () => {
  fake = await startFakeEasyPost('EZTK_e2e_key');
  const env = { CARRIER_PROVIDER: 'easypost', EASYPOST_API_KEY: fake.apiKey, EASYPOST_BASE_URL: fake.url, EASYPOST_WEBHOOK_SECRET: WEBHOOK_SECRET, EASYPOST_CARRIERS: 'USPS' };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-easypost-${randomUUID()}`,
    apiToken: 'easypost-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  expect((await api('PUT', '/v1/locations/wh-east', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  await fake?.close();
  for (const [name, value] of Object.entries(saved)) {
    Reflect.deleteProperty(process.env, name);
    if (value !== undefined) process.env[name] = value;
  }
});

describe('EasyPost in the local runtime', () => {
  it('labels an order through EasyPost (rated, bought once), and its signed tracker events take the shipped parcel to delivered', async () => {
    expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku: 'EP-1', locationId: 'wh-east', quantity: 3 })).status).toBe(201);
    const placed = await api('POST', '/v1/orders', {
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: { name: 'Ada Lovelace', lines: ['1 Main St', 'Apt 2'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
      lines: [{ sku: 'EP-1', title: 'Item EP-1', quantity: 2, unitPrice: 2500, tax: 160 }],
      shipping: { price: 500 },
      fulfillment: { type: 'ship' },
      payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const orderId = String((placed.body['order'] as Json)['orderId']);
    await oms.settle();

    const parcels = ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body['items'] ?? []) as (Json & { fulfillmentId: string; carrier: Json })[];
    const parcel = must(parcels[0]);
    // The built-in rule set picks the cheapest rate: USPS GroundAdvantage at $6.45.
    expect(parcel.carrier).toMatchObject({ carrierId: 'easypost-usps', serviceLevel: 'GroundAdvantage', rate: 645, currency: 'USD', labelFormat: 'ZPL', shipmentId: expect.stringMatching(/^shp_/) });
    expect(String(parcel.carrier['label'])).toMatch(/^\^XA[\s\S]*\^XZ$/);
    const shipment = must(fake.shipments.get(String(parcel.carrier['shipmentId'])));
    expect(shipment).toMatchObject({ reference: `label:${parcel.fulfillmentId}`, to_address: { name: 'Ada Lovelace', street1: '1 Main St', street2: 'Apt 2', state: 'MA', zip: '02108', email: 'ada@example.com' } });
    expect(fake.requests.filter((r) => r.path === '/v2/shipments')).toHaveLength(1);
    expect(fake.purchases.get(String(shipment['id']))).toBe(1);
    expect(fake.secondBuys).toBe(0);

    for (const type of ['accepted', 'picked', 'packed', 'shipped']) expect((await api('POST', `/v1/fulfillments/${parcel.fulfillmentId}/events`, { type })).status).toBe(200);
    await oms.settle();
    const tracking = String(parcel.carrier['trackingNumber']);

    expect(await tracker(tracking, 'in_transit', 1, 'not-the-secret')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await tracker(tracking, 'pre_transit', 0)).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    expect(await tracker(tracking, 'in_transit', 1)).toMatchObject({ status: 200, body: { outcome: 'applied', orderStatus: 'shipped' } });
    expect(await tracker(tracking, 'out_for_delivery', 2)).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    expect(await tracker(tracking, 'delivered', 3)).toMatchObject({ status: 200, body: { outcome: 'applied', shipmentId: parcel.fulfillmentId, orderStatus: 'delivered' } });
    expect((await api('GET', `/v1/orders/${orderId}`)).body).toMatchObject({ status: 'delivered' });
    expect(oms.events.list().filter((e) => e['detail-type'] === 'ShipmentDelivered' && JSON.stringify(e.detail).includes(orderId))).toHaveLength(1);
  });
});
