import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody, must } from '../support/fixtures.ts';

/**
 * A partial cancel and an address edit on a routed order in the running
 * local OMS: the HTTP API, the one-transaction changes, the events on the
 * bus, and the synthesized fulfillOrder workflow re-making the parcels
 * (started by the refulfill rules), then shipping and capturing what is left.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; message: string; details: { path: string; message: string }[] }; items?: Json[] }; headers: Headers };
let oms: RunningOms;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'], headers: response.headers };
}

const BOSTON = { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' };
const LOS_ANGELES = { name: 'Ada Lovelace', lines: ['200 N Spring St'], city: 'Los Angeles', region: 'CA', postalCode: '90012', country: 'US' };

async function receive(sku: string, locationId: string, quantity: number): Promise<void> {
  expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku, locationId, quantity })).status).toBe(201);
}

async function placeOrder(lines: { sku: string; quantity: number }[]): Promise<string> {
  const reply = await api(
    'POST',
    '/v1/orders',
    {
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: BOSTON,
      lines: lines.map((l) => ({ sku: l.sku, title: `Item ${l.sku}`, quantity: l.quantity, unitPrice: 1000, tax: 80 * l.quantity })),
      shipping: { price: 500 },
      fulfillment: { type: 'ship' },
      payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    },
    { 'idempotency-key': randomUUID() },
  );
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  await oms.settle();
  return String((reply.body['order'] as Json)['orderId']);
}

const order = async (orderId: string) => (await api('GET', `/v1/orders/${orderId}`)).body as Json & { version: number; status: string; lines: Json[]; totals: { total: number } };
const fulfillments = async (orderId: string) => ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as (Json & { fulfillmentId: string; status: string; locationId: string; lines: Json[]; carrier?: Json })[];
const timeline = async (orderId: string) => ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []) as (Json & { type: string })[];
const events = (type: string, orderId: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(orderId)) as { detail: { data: Json & { change: Json } } }[];

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-order-changes-${randomUUID()}`,
    apiToken: 'order-changes-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  expect((await api('PUT', '/v1/locations/wh-east', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect(
    (await api('PUT', '/v1/locations/wh-west', locationBody({ name: 'Los Angeles DC', address: { lines: ['1 Alameda St'], city: 'Los Angeles', region: 'CA', postalCode: '90012', country: 'US' }, geo: { lat: 34.05, lon: -118.24 } }))).status,
  ).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('order changes on a routed order, end to end in the local runtime', () => {
  it('cancels some units and moves the order to a new address: stock follows, parcels are re-made by the workflow, and the captures add up to what is left', async () => {
    await receive('CHG-MUG', 'wh-east', 5);
    await receive('CHG-MUG', 'wh-west', 5);
    await receive('CHG-TEE', 'wh-east', 5);
    await receive('CHG-TEE', 'wh-west', 5);
    const orderId = await placeOrder([
      { sku: 'CHG-MUG', quantity: 3 },
      { sku: 'CHG-TEE', quantity: 1 },
    ]);
    const placed = await order(orderId);
    expect(placed.status).toBe('routed');
    const [first] = await fulfillments(orderId);
    expect(first).toMatchObject({ locationId: 'wh-east', status: 'created' });

    // Partial cancel: 2 mugs. The parcel is re-made for the rest.
    const cancelled = await api('POST', `/v1/orders/${orderId}/cancel`, { reason: 'customer wants one mug', lines: [{ sku: 'CHG-MUG', quantity: 2 }] });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body['lines']).toEqual([expect.objectContaining({ sku: 'CHG-MUG', quantity: 1 }), expect.objectContaining({ sku: 'CHG-TEE', quantity: 1 })]);
    expect((cancelled.body['totals'] as Json)['total']).toBe(placed.totals.total - 2 * 1080);
    await oms.settle();
    expect(events('OrderLinesCancelled', orderId)).toHaveLength(1);
    const afterCancel = await fulfillments(orderId);
    expect(afterCancel.find((f) => f.fulfillmentId === first?.fulfillmentId)?.status).toBe('cancelled');
    const second = must(afterCancel.find((f) => f.status === 'created'));
    expect(second).toMatchObject({ locationId: 'wh-east', lines: [{ sku: 'CHG-MUG', quantity: 1 }, { sku: 'CHG-TEE', quantity: 1 }] });
    expect((await order(orderId)).status).toBe('routed');
    const mugs = (await api('GET', '/v1/inventory/CHG-MUG')).body as { locations: Json[] };
    expect(mugs.locations.find((l) => l['locationId'] === 'wh-east')).toMatchObject({ onHand: 5, reserved: 1 });

    // Address edit: stale and missing If-Match are refused and change nothing.
    const current = await order(orderId);
    const stale = await api('PATCH', `/v1/orders/${orderId}`, { reason: 'moved', shippingAddress: LOS_ANGELES }, { 'if-match': `"${current.version - 1}"` });
    expect(stale.status).toBe(412);
    expect(stale.body.error?.code).toBe('precondition_failed');
    const missing = await api('PATCH', `/v1/orders/${orderId}`, { reason: 'moved', shippingAddress: LOS_ANGELES });
    expect(missing.status).toBe(422);
    expect(missing.body.error?.details).toEqual([expect.objectContaining({ in: 'header', path: 'if-match' })]);
    const unknown = await api('POST', `/v1/orders/${orderId}/cancel`, { reason: 'x', lines: [{ sku: 'NO-SUCH', quantity: 1 }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error?.details).toEqual([expect.objectContaining({ path: 'lines.0.sku' })]);
    expect((await order(orderId)).version).toBe(current.version);

    const edited = await api('PATCH', `/v1/orders/${orderId}`, { reason: 'customer moved to LA', shippingAddress: LOS_ANGELES }, { 'if-match': `"${current.version}"` });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.headers.get('etag')).toBe(`"${current.version + 1}"`);
    expect(edited.body).toMatchObject({ outcome: 'edited', change: { rerouted: true, refulfill: true, fulfillmentsCancelled: [second.fulfillmentId] } });
    await oms.settle();
    expect(events('OrderEdited', orderId)).toHaveLength(1);
    const afterEdit = await fulfillments(orderId);
    const third = must(afterEdit.find((f) => f.status === 'created'));
    expect(third.locationId).toBe('wh-west');
    expect(third.carrier?.['trackingNumber']).not.toBe(second.carrier?.['trackingNumber']);
    expect(String(third.carrier?.['label'])).toContain('Los Angeles');
    const mugsNow = (await api('GET', '/v1/inventory/CHG-MUG')).body as { locations: Json[] };
    expect(mugsNow.locations.find((l) => l['locationId'] === 'wh-east')).toMatchObject({ reserved: 0 });
    expect(mugsNow.locations.find((l) => l['locationId'] === 'wh-west')).toMatchObject({ reserved: 1 });
    expect((await timeline(orderId)).map((e) => e.type)).toEqual(expect.arrayContaining(['lines_cancelled', 'order_edited', 'fulfillment_cancelled']));

    // Ship what is left: one capture, exactly the remaining lines' total.
    for (const type of ['accepted', 'shipped']) expect((await api('POST', `/v1/fulfillments/${third.fulfillmentId}/events`, { type })).status).toBe(200);
    await oms.settle();
    const final = await order(orderId);
    expect(final.status).toBe('shipped');
    expect(final.totals.total).toBe(1000 + 80 + 1000 + 80 + 500);
    const captures = events('PaymentCaptured', orderId).map((e) => e.detail.data);
    expect(captures).toEqual([expect.objectContaining({ amount: final.totals.total, capturedTotal: final.totals.total, complete: true })]);

    // The label went to the new street (read from the order), yet nothing published about the order names the customer
    // or either street: order events carry the customer id and country, region and postal code (docs/events.md "Personal data").
    const published = oms.events.list().filter((e) => JSON.stringify(e.detail).includes(orderId));
    expect(published.map((e) => e['detail-type'])).toEqual(expect.arrayContaining(['OrderReceived', 'OrderLinesCancelled', 'OrderEdited', 'ShipmentShipped']));
    for (const value of ['Ada Lovelace', 'ada@example.com', '1 Main St', '200 N Spring St', 'Boston', 'Los Angeles']) expect(JSON.stringify(published), value).not.toContain(value);
    const [editedEvent] = events('OrderEdited', orderId);
    expect(editedEvent?.detail.data.change['shippingAddress']).toEqual({ before: { country: 'US', region: 'MA', postalCode: '02108' }, after: { country: 'US', region: 'CA', postalCode: '90012' } });

    // Editing now (a shipped line) is refused, naming what blocks.
    const late = await api('PATCH', `/v1/orders/${orderId}`, { reason: 'too late', shippingAddress: BOSTON }, { 'if-match': `"${final.version}"` });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('not_editable');
    expect(late.body.error?.details.map((d) => d.message).join(' ')).toContain(third.fulfillmentId);
  }, 120_000);
});
