import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * Holds in the running local OMS: the synthesized fulfillOrder state machine
 * started by StockReserved and by OrderReleased, the hold rules of a rule
 * set stored through the API, and the 5-minute deadline sweep releasing a
 * hold at its `until`.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; details: { path: string }[] } } };
let oms: RunningOms;

async function api(method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

const BOSTON = { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' };

async function receive(sku: string, quantity: number): Promise<void> {
  expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku, locationId: 'wh-hold', quantity })).status).toBe(201);
  await oms.settle();
}

/** Backorders allowed: an order of the SKU waits for stock instead of being held for it. */
async function policy(sku: string): Promise<void> {
  expect((await api('PUT', `/v1/inventory/${sku}/policy`, { backorder: 'allowed' })).status).toBeLessThan(300);
}

async function placeOrder(sku: string, unitPrice: number, options: { billingCountry?: string; stock?: boolean } = {}): Promise<string> {
  if (options.stock !== false) await receive(sku, 5);
  const response = await fetch(`${oms.url}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: BOSTON,
      billingAddress: { ...BOSTON, country: options.billingCountry ?? 'US' },
      lines: [{ sku, title: sku, quantity: 1, unitPrice }],
      shipping: { price: 500 },
      fulfillment: { type: 'ship' },
      payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    }),
  });
  const body = (await response.json()) as { order: { orderId: string } };
  expect(response.status, JSON.stringify(body)).toBe(201);
  await oms.settle();
  return body.order.orderId;
}

const order = async (orderId: string) => (await api('GET', `/v1/orders/${orderId}`)).body;
const fulfillments = async (orderId: string) => ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body['items'] ?? []) as Json[];
const timeline = async (orderId: string) => (((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body['items'] ?? []) as Json[]).map((e) => [e['type'], e['actor']]);
const events = (type: string, orderId: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(orderId));

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-holds-${randomUUID()}`,
    apiToken: 'holds-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  expect((await api('PUT', '/v1/locations/wh-hold', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  const rules = await api('PUT', '/v1/routing-rules/default', {
    rules: [{ ruleId: 'nearest', sort: ['distance'], whenShort: { action: 'backorder' } }],
    holds: [
      { ruleId: 'big-orders', description: 'Orders above $1,000 are reviewed', condition: { type: 'order_value_above', amounts: { USD: 100_000 } } },
      { ruleId: 'abroad', condition: { type: 'country_mismatch' } },
    ],
  });
  expect(rules.status, JSON.stringify(rules.body)).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('holds, end to end in the local runtime', () => {
  it('a reserved order a person holds is not handed to a location; released, it gets its fulfillment', async () => {
    const sku = `HOLD-P-${randomUUID()}`;
    await policy(sku);
    const orderId = await placeOrder(sku, 1000, { stock: false });
    expect(await order(orderId)).toMatchObject({ status: 'backordered' });
    const held = await api('POST', `/v1/orders/${orderId}/hold`, { reason: 'fraud_review', by: 'Ana Lima', note: 'Card used in three countries' });
    expect(held).toMatchObject({ status: 200, body: { status: 'backordered', fulfillmentHold: { reason: 'fraud_review', placedBy: { type: 'person', name: 'Ana Lima' } } } });

    // Stock arrives: the order is reserved (and StockReserved starts fulfillOrder), but it is not handed to a location.
    await receive(sku, 1);
    expect(await order(orderId)).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'fraud_review' } });
    expect(await fulfillments(orderId)).toEqual([]);
    expect(events('PaymentAuthorized', orderId)).toHaveLength(0);

    expect(await api('POST', `/v1/orders/${orderId}/release`, { by: 'Bo Chen', note: 'Customer confirmed by phone' })).toMatchObject({ status: 200 });
    await oms.settle();
    expect(await order(orderId)).toMatchObject({ status: 'routed' });
    expect(await fulfillments(orderId)).toEqual([expect.objectContaining({ locationId: 'wh-hold', status: 'created' })]);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining([['hold_placed', 'person:Ana Lima'], ['hold_released', 'person:Bo Chen'], ['fulfillment_created', 'workflow:fulfillOrder']]));
    expect(events('OrderHeld', orderId)).toHaveLength(1);
  });

  it('a rule holds a high-value order: reserved, never handed to a location, explained in its routing; a person releases it and it is fulfilled', async () => {
    const orderId = await placeOrder(`HOLD-BIG-${randomUUID()}`, 150_000);
    expect(await order(orderId)).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'high_value', placedBy: { type: 'rule', ruleSetId: 'default', ruleId: 'big-orders' } } });
    expect(await fulfillments(orderId)).toEqual([]);
    expect((await api('GET', `/v1/orders/${orderId}/reservation`)).body['allocations']).toEqual([expect.objectContaining({ locationId: 'wh-hold', quantity: 1 })]);
    const routing = (await api('GET', `/v1/orders/${orderId}/routing`)).body['decision'] as Json;
    expect(routing['holdRules']).toEqual([
      { ruleId: 'big-orders', result: 'held', message: 'The order is worth $1,505.00, above the $1,000.00 threshold.' },
      { ruleId: 'abroad', result: 'not_held', message: 'Billed and shipped to US.' },
    ]);
    expect(events('OrderHeld', orderId)).toHaveLength(1);
    // The workflow StockReserved started stopped at the payment step: nothing authorized while held.
    expect(events('PaymentAuthorized', orderId)).toHaveLength(0);

    const released = await api('POST', `/v1/orders/${orderId}/release`, { by: 'Bo Chen', note: 'Known customer' });
    expect(released).toMatchObject({ status: 200, body: { status: 'reserved' } });
    await oms.settle();
    expect(await order(orderId)).toMatchObject({ status: 'routed' });
    expect(await fulfillments(orderId)).toEqual([expect.objectContaining({ locationId: 'wh-hold', status: 'created' })]);
    expect(events('OrderReleased', orderId).map((e) => (e.detail as { data: Json }).data)).toEqual([expect.objectContaining({ resumes: 'fulfillment', releasedBy: { type: 'person', name: 'Bo Chen' } })]);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining([['hold_placed', 'rule:default/big-orders'], ['hold_released', 'person:Bo Chen']]));

    // Billed abroad: the other hold rule.
    const abroad = await placeOrder(`HOLD-DE-${randomUUID()}`, 1000, { billingCountry: 'DE' });
    expect(await order(abroad)).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'country_mismatch', note: 'Rule abroad: Billed to DE, shipped to US.' } });
    expect(await fulfillments(abroad)).toEqual([]);
  });

  it('the deadline sweep releases a hold at its `until`', async () => {
    const sku = `HOLD-U-${randomUUID()}`;
    await policy(sku);
    const orderId = await placeOrder(sku, 1000, { stock: false });
    const until = new Date(Date.now() + 1500).toISOString();
    expect(await api('POST', `/v1/orders/${orderId}/hold`, { reason: 'customer_request', by: 'Ana Lima', note: 'Ship after the move', until })).toMatchObject({ status: 200, body: { fulfillmentHold: { until } } });
    // Poll the scheduled sweep (as EventBridge Scheduler runs it) until the release date has passed and it released the hold.
    for (let run = 0; run < 100 && (await order(orderId))['fulfillmentHold']; run++) {
      await oms.scheduler.runNow('ReservationExpiry');
      await oms.settle();
      if ((await order(orderId))['fulfillmentHold']) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await order(orderId))['fulfillmentHold']).toBeUndefined();
    expect(events('OrderReleased', orderId).map((e) => (e.detail as { data: Json; metadata: Json }).metadata['actor'])).toEqual(['schedule:hold-release']);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining([['hold_released', 'schedule:hold-release']]));
  });
});
