import { createHmac, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { allItems } from '../support/table.ts';
import { locationBody, must } from '../support/fixtures.ts';

/**
 * Exchanges, claims and store credit in the running local OMS (issue 10,
 * "an exchange ships its replacement"): a delivered order's return with
 * resolution `exchange` creates its replacement order on approval, held
 * until the return is received, then released, reserved, routed and shipped
 * with the "exchange shipped" message once; a cheaper replacement refunds
 * the difference; a lost parcel's claim reships; a store-credit return
 * issues its code.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; message: string; details: { path: string; message: string; code?: string }[] }; items?: Json[] } };
let oms: RunningOms;
let tableName: string;
let db: DynamoDBDocumentClient;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Reply['body'] };
}

const BOSTON = { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' };

async function deliveredOrder(lines: { sku: string; quantity: number }[], options: { deliver?: boolean } = {}): Promise<{ orderId: string; lineIds: string[] }> {
  for (const l of lines) expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku: l.sku, locationId: 'wh-east', quantity: l.quantity })).status).toBe(201);
  const placed = await api(
    'POST',
    '/v1/orders',
    {
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: BOSTON,
      lines: lines.map((l) => ({ sku: l.sku, title: `Item ${l.sku}`, quantity: l.quantity, unitPrice: 2000, tax: 160 * l.quantity })),
      shipping: { price: 500 },
      fulfillment: { type: 'ship' },
      payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    },
    { 'idempotency-key': randomUUID() },
  );
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const order = placed.body['order'] as { orderId: string; lines: { lineId: string }[] };
  await oms.settle();
  const parcels = ((await api('GET', `/v1/fulfillments?orderId=${order.orderId}`)).body.items ?? []) as { fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[];
  expect(parcels).toHaveLength(1);
  const [parcel] = parcels as [(typeof parcels)[number]];
  for (const type of ['accepted', 'picked', 'packed', 'shipped']) expect((await api('POST', `/v1/fulfillments/${parcel.fulfillmentId}/events`, { type })).status).toBe(200);
  await oms.settle();
  if (options.deliver === false) return { orderId: order.orderId, lineIds: order.lines.map((l) => l.lineId) };
  expect((await scan(parcel.carrier.carrierId, parcel.carrier.trackingNumber, 'delivered')).status).toBe(200);
  await oms.settle();
  expect((await api('GET', `/v1/orders/${order.orderId}`)).body['status']).toBe('delivered');
  return { orderId: order.orderId, lineIds: order.lines.map((l) => l.lineId) };
}

function scan(carrierId: string, trackingNumber: string, status: string, occurredAt = new Date().toISOString()): Promise<Response> {
  const raw = JSON.stringify({ trackingNumber, status, occurredAt, description: `Parcel ${status}` });
  return fetch(`${oms.url}/webhooks/carriers/${carrierId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', oms.carrierWebhookSecret).update(raw).digest('hex')}` },
    body: raw,
  });
}

const messages = async (orderId: string) => ((await api('GET', `/v1/notifications?orderId=${orderId}`)).body.items ?? []) as { template: string; channel: string; about: string; body: string; subject?: string }[];
const eventsOf = (type: string, returnId: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(returnId));
const requestReturn = (orderId: string, body: unknown, key = randomUUID()) => api('POST', `/v1/orders/${orderId}/returns`, body, { 'idempotency-key': key });

const shipAll = async (orderId: string) => {
  const parcels = ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as { fulfillmentId: string }[];
  expect(parcels.length).toBeGreaterThan(0);
  for (const p of parcels) for (const type of ['accepted', 'picked', 'packed', 'shipped']) expect((await api('POST', `/v1/fulfillments/${p.fulfillmentId}/events`, { type })).status).toBe(200);
  await oms.settle();
  return parcels;
};
const stock = (sku: string, quantity: number) => api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku, locationId: 'wh-east', quantity });
const claimResolved = (claimId: string) => oms.events.list().filter((e) => e['detail-type'] === 'ClaimResolved' && (e.detail as { data: Json }).data['claimId'] === claimId).map((e) => (e.detail as { data: Json }).data);
const timelineOf = async (orderId: string) => ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).map((e) => String(e['type']));

beforeAll(async () => {
  tableName = `oms-exchanges-${randomUUID()}`;
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName, apiToken: 'exchanges-token-0123456789abcdef', logLevel: 'ERROR', schedules: false });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  expect((await api('PUT', '/v1/locations/wh-east', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect(
    (
      await api(
        'PUT',
        '/v1/locations/returns-nj',
        locationBody({ name: 'NJ returns centre', address: { lines: ['1 Outlet Rd'], city: 'Newark', region: 'NJ', postalCode: '07102', country: 'US' }, geo: { lat: 40.73, lon: -74.17 }, capabilities: ['returns'] }),
      )
    ).status,
  ).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  const policy = await api('PUT', '/v1/return-policies/default', {
    windowDays: 30,
    reasons: [{ reason: 'damaged', needsApproval: true }, { reason: 'size' }],
    receivingLocation: { strategy: 'nearest' },
    exchangeShipsOn: 'receipt',
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('exchanges, claims and store credit, end to end in the local runtime', () => {
  it('an exchange ships its replacement: approved → held until received → released, reserved, routed, shipped → "exchange shipped" once', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'EX-TEE-M', quantity: 1 }, { sku: 'EX-MUG', quantity: 1 }]);
    const [teeLine] = lineIds as [string, string];
    expect((await stock('EX-TEE-L', 5)).status).toBe(201);

    // Bad input first: an unknown replacement SKU, and replacement lines with a refund — 422 naming each, nothing written.
    const before = await allItems(db, tableName);
    const unknown = await requestReturn(orderId, { lines: [{ lineId: teeLine, quantity: 1, reason: 'size' }], resolution: 'exchange', exchange: { lines: [{ sku: 'NO-SUCH', quantity: 1, replaces: teeLine }] } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error?.details.map((d) => d.path)).toEqual(['exchange.lines.0.sku']);
    const notExchange = await requestReturn(orderId, { lines: [{ lineId: teeLine, quantity: 1, reason: 'size' }], resolution: 'refund', exchange: { lines: [{ sku: 'EX-TEE-L', quantity: 1 }] } });
    expect(notExchange.status).toBe(422);
    expect(notExchange.body.error?.details.map((d) => d.path)).toEqual(['exchange']);
    expect(await allItems(db, tableName)).toEqual(before);

    const requested = await requestReturn(orderId, { lines: [{ lineId: teeLine, quantity: 1, reason: 'damaged' }], resolution: 'exchange', exchange: { lines: [{ sku: 'EX-TEE-L', quantity: 1, replaces: teeLine }] } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const returnId = String(requested.body['returnId']);
    expect(requested.body).toMatchObject({ status: 'requested', resolution: 'exchange', exchange: { credit: 2160, value: 2160, difference: 0, action: 'none', shipsOn: 'receipt' } });
    await oms.settle();
    // Not approved yet: no replacement.
    expect(oms.events.list().filter((e) => e['detail-type'] === 'ExchangeCreated')).toHaveLength(0);

    expect((await api('POST', `/v1/returns/${returnId}/approve`, {})).status).toBe(200);
    await oms.settle();
    const linked = (await api('GET', `/v1/returns/${returnId}`)).body as Json & { exchange: { orderId: string } };
    const exchangeOrderId = linked.exchange.orderId;
    expect(exchangeOrderId).toMatch(/^[0-9A-Z]{26}$/);
    const held = (await api('GET', `/v1/orders/${exchangeOrderId}`)).body;
    expect(held).toMatchObject({
      status: 'reserved',
      exchangeFor: { orderId, returnId },
      channel: { channelId: 'web-store', externalOrderId: `exchange:${returnId}` },
      customer: { email: 'ada@example.com' },
      shippingAddress: { city: 'Boston' },
      fulfillmentHold: { reason: 'awaiting_return', placedBy: { type: 'return', returnId } },
      totals: { total: 0 },
      lines: [{ sku: 'EX-TEE-L', quantity: 1, unitPrice: 2000 }],
    });
    // Held: reserved, but never handed to a location.
    expect((await api('GET', `/v1/fulfillments?orderId=${exchangeOrderId}`)).body.items).toEqual([]);
    expect(eventsOf('ExchangeCreated', returnId)).toHaveLength(1);
    expect(eventsOf('ExchangeCreated', returnId)[0]?.detail).toMatchObject({ data: { orderId: exchangeOrderId, originalOrderId: orderId, kind: 'exchange', held: true, difference: 0 } });
    expect(await timelineOf(orderId)).toContain('exchange_created');

    // A redelivered ReturnApproved (or a second approval) creates nothing more.
    expect((await api('POST', `/v1/returns/${returnId}/approve`, {})).status).toBe(409);

    const received = await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: teeLine, condition: 'damaged' }] });
    expect(received.status, JSON.stringify(received.body)).toBe(200);
    await oms.settle();
    const closed = (await api('GET', `/v1/returns/${returnId}`)).body;
    expect(closed).toMatchObject({ status: 'closed', refund: { status: 'exchanged', exchangeOrderId, difference: 0 } });
    const released = (await api('GET', `/v1/orders/${exchangeOrderId}`)).body;
    expect(released['fulfillmentHold']).toBeUndefined();
    expect(released['status']).toBe('routed');
    expect(await timelineOf(exchangeOrderId)).toEqual(expect.arrayContaining(['received', 'hold_placed', 'stock_reserved', 'hold_released', 'payment_confirmed', 'fulfillment_created']));

    await shipAll(exchangeOrderId);
    const sent = await messages(exchangeOrderId);
    expect(sent.filter((m) => m.template === 'exchange_shipped' && m.channel === 'email')).toHaveLength(1);
    expect(sent.filter((m) => m.template === 'shipped')).toHaveLength(0);
    expect(sent.find((m) => m.template === 'exchange_shipped')?.subject).toBe(`Your exchange for return ${returnId} has shipped`);
    // Exactly once, whatever the redeliveries: a replayed completeShipment finds the claim.
    await oms.settle();
    expect((await messages(exchangeOrderId)).filter((m) => m.template === 'exchange_shipped')).toHaveLength(1);
    // No money moved on the original order.
    expect((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items).toEqual([]);
  }, 180_000);

  it('a cheaper replacement refunds the difference on the original order once the return is received', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'EX2-TEE', quantity: 2 }]);
    const [teeLine] = lineIds as [string];
    expect((await stock('EX2-SALE', 3)).status).toBe(201);
    // 1 of 2 units: 2000 + 160 tax back; the sale item at a staff price of 1500.
    const requested = await requestReturn(orderId, { lines: [{ lineId: teeLine, quantity: 1, reason: 'size' }], resolution: 'exchange', exchange: { lines: [{ sku: 'EX2-SALE', quantity: 1, unitPrice: 1500 }] } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body).toMatchObject({ status: 'approved', exchange: { credit: 2160, value: 1500, difference: -660, action: 'refund' } });
    const returnId = String(requested.body['returnId']);
    await oms.settle();
    expect((await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: teeLine, condition: 'resellable' }] })).status).toBe(200);
    await oms.settle();
    const refunds = ((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items ?? []) as Json[];
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ kind: 'return', key: `return:${returnId}`, amount: 660, status: 'refunded', returnId });
    expect((await api('GET', `/v1/returns/${returnId}`)).body).toMatchObject({ status: 'closed', refund: { status: 'exchanged', difference: -660, amount: 660, refundStatus: 'refunded' } });
    const exchangeOrderId = String(((await api('GET', `/v1/returns/${returnId}`)).body['exchange'] as Json)['orderId']);
    expect((await api('GET', `/v1/orders/${exchangeOrderId}`)).body).toMatchObject({ status: 'routed', totals: { total: 0 }, lines: [{ sku: 'EX2-SALE', unitPrice: 1500, subtotal: 1500, discount: 1500 }] });
    expect((await messages(orderId)).filter((m) => m.template === 'refund_issued' && m.channel === 'email')).toHaveLength(1);
  }, 180_000);

  it('a lost parcel is claimed by staff and reshipped at no charge; over-claiming is a 422 and writes nothing', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'CL-LAMP', quantity: 1 }]);
    const [lampLine] = lineIds as [string];
    expect((await stock('CL-LAMP', 2)).status).toBe(201);
    const before = await allItems(db, tableName);
    const over = await api('POST', `/v1/orders/${orderId}/claims`, { lines: [{ lineId: lampLine, quantity: 2 }], kind: 'lost', resolution: 'reship' }, { 'idempotency-key': randomUUID() });
    expect(over.status).toBe(422);
    expect(over.body.error?.details.map((d) => d.path)).toEqual(['lines.0.quantity']);
    expect(await allItems(db, tableName)).toEqual(before);

    const key = randomUUID();
    const body = { lines: [{ lineId: lampLine, quantity: 1 }], kind: 'lost', resolution: 'reship', note: 'Carrier confirmed the parcel lost' };
    const claimed = await api('POST', `/v1/orders/${orderId}/claims`, body, { 'idempotency-key': key });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(201);
    expect(claimed.body).toMatchObject({ orderId, kind: 'lost', resolution: 'reship', status: 'settled', lines: [{ lineId: lampLine, sku: 'CL-LAMP', quantity: 1 }] });
    expect((await api('POST', `/v1/orders/${orderId}/claims`, body, { 'idempotency-key': key })).body).toEqual(claimed.body);
    await oms.settle();
    const reshipId = String(claimed.body['reshipOrderId']);
    expect((await api('GET', `/v1/orders/${reshipId}`)).body).toMatchObject({ status: 'routed', exchangeFor: { orderId, claimId: claimed.body['claimId'] }, totals: { total: 0 }, lines: [{ sku: 'CL-LAMP', quantity: 1 }] });
    expect(await timelineOf(orderId)).toEqual(expect.arrayContaining(['claim_created', 'claim_settled']));
    expect(oms.events.list().filter((e) => e['detail-type'] === 'ClaimCreated' && JSON.stringify(e.detail).includes(orderId))).toHaveLength(1);
    // Filed with its resolution and settled at once: one ClaimResolved naming the reship order (the replayed request published nothing).
    expect(claimResolved(String(claimed.body['claimId']))).toEqual([expect.objectContaining({ orderId, resolution: 'reship', kind: 'lost', resolvedBy: 'bootstrap', reshipOrderId: reshipId })]);
    expect((await api('GET', `/v1/orders/${orderId}/claims`)).body.items).toHaveLength(1);
    await shipAll(reshipId);
    expect((await messages(reshipId)).filter((m) => m.template === 'exchange_shipped' && m.channel === 'email')).toHaveLength(1);
  }, 180_000);

  it('a carrier exception opens one claim for staff (a second scan opens none); staff resolve it with reship and the reship order ships', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'CC-VASE', quantity: 1 }], { deliver: false });
    const [vaseLine] = lineIds as [string];
    const [parcel] = ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as { fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[];
    const { carrierId, trackingNumber } = must(parcel).carrier;
    expect((await scan(carrierId, trackingNumber, 'exception')).status).toBe(200);
    await oms.settle();
    expect((await api('GET', `/v1/orders/${orderId}`)).body['status']).toBe('exception');
    const claims = (await api('GET', `/v1/orders/${orderId}/claims`)).body.items ?? [];
    expect(claims).toEqual([
      expect.objectContaining({ orderId, kind: 'exception', status: 'open', reportedBy: `carrier:${carrierId}`, lines: [{ lineId: vaseLine, sku: 'CC-VASE', quantity: 1 }], shipment: expect.objectContaining({ shipmentId: must(parcel).fulfillmentId, trackingNumber, status: 'exception' }) }),
    ]);
    expect(claims[0]?.['resolution']).toBeUndefined();
    const claimId = String(claims[0]?.['claimId']);
    // Nothing made good yet: no reship order, no refund.
    expect(oms.events.list().filter((e) => e['detail-type'] === 'ExchangeCreated' && JSON.stringify(e.detail).includes(orderId))).toHaveLength(0);
    expect((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items).toEqual([]);

    // A second exception scan moves the parcel again but opens no second claim.
    expect((await scan(carrierId, trackingNumber, 'exception', new Date(Date.now() + 60_000).toISOString())).status).toBe(200);
    await oms.settle();
    expect((await api('GET', `/v1/orders/${orderId}/claims`)).body.items).toHaveLength(1);
    const created = oms.events.list().filter((e) => e['detail-type'] === 'ClaimCreated' && JSON.stringify(e.detail).includes(orderId));
    expect(created).toHaveLength(1);
    expect(created[0]?.detail).toMatchObject({ data: { claimId, kind: 'exception', reportedBy: `carrier:${carrierId}`, shipmentId: must(parcel).fulfillmentId } });
    expect(await timelineOf(orderId)).toContain('claim_created');

    // Bad input: 422 naming the field, 404 for another claim — nothing written.
    const before = await allItems(db, tableName);
    const bad = await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'replace', by: 'Ana' });
    expect(bad.status).toBe(422);
    expect(bad.body.error?.details.map((d) => d.path)).toEqual(['resolution']);
    expect((await api('POST', `/v1/orders/${orderId}/claims/01NOSUCHCLAIM0000000000000/resolve`, { resolution: 'reship', by: 'Ana' })).status).toBe(404);
    expect(await allItems(db, tableName)).toEqual(before);

    expect((await stock('CC-VASE', 1)).status).toBe(201);
    const resolved = await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'reship', kind: 'damaged', by: 'Ana', note: 'Carrier photo shows it broken' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({ claimId, status: 'settled', resolution: 'reship', kind: 'damaged', resolvedBy: 'Ana', reshipOrderId: expect.stringMatching(/^[0-9A-Z]{26}$/) });
    // Asking again for the same answers the claim; another resolution is a 409.
    expect((await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'reship', by: 'Bob' })).body).toMatchObject({ claimId, reshipOrderId: resolved.body['reshipOrderId'] });
    const other = await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'refund', by: 'Bob' });
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('claim_resolved');
    await oms.settle();
    const reshipId = String(resolved.body['reshipOrderId']);
    expect((await api('GET', `/v1/orders/${reshipId}`)).body).toMatchObject({ status: 'routed', exchangeFor: { orderId, claimId }, totals: { total: 0 }, lines: [{ sku: 'CC-VASE', quantity: 1 }] });
    expect(await timelineOf(orderId)).toEqual(expect.arrayContaining(['claim_created', 'claim_resolved', 'claim_settled']));
    // One ClaimResolved, from Ana's decision (Bob's repeat and the refused refund published nothing).
    expect(claimResolved(claimId)).toEqual([
      expect.objectContaining({ orderId, resolution: 'reship', kind: 'damaged', resolvedBy: 'Ana', reshipOrderId: reshipId, shipmentId: must(parcel).fulfillmentId }),
    ]);
    await shipAll(reshipId);
    expect((await api('GET', `/v1/orders/${reshipId}`)).body['status']).toBe('shipped');
    expect((await messages(reshipId)).filter((m) => m.template === 'exchange_shipped' && m.channel === 'email')).toHaveLength(1);
  }, 180_000);

  it('a parcel the carrier declares lost opens a lost claim; staff dismiss it when it turns up, and its units can be claimed again', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'CC-BOOK', quantity: 1 }], { deliver: false });
    const [bookLine] = lineIds as [string];
    const [parcel] = ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as { fulfillmentId: string; carrier: { carrierId: string; trackingNumber: string } }[];
    expect((await scan(must(parcel).carrier.carrierId, must(parcel).carrier.trackingNumber, 'lost')).status).toBe(200);
    await oms.settle();
    expect((await api('GET', `/v1/orders/${orderId}`)).body['status']).toBe('exception');
    expect((await api('GET', `/v1/fulfillments/${must(parcel).fulfillmentId}`)).body).toMatchObject({ tracking: { status: 'lost' } });
    const updates = oms.events.list().filter((e) => e['detail-type'] === 'ShipmentTrackingUpdated' && JSON.stringify(e.detail).includes(orderId));
    expect(updates.map((e) => (e.detail as { data: Json }).data)).toEqual([expect.objectContaining({ status: 'exception', lost: true })]);
    const [claim] = (await api('GET', `/v1/orders/${orderId}/claims`)).body.items ?? [];
    expect(claim).toMatchObject({ kind: 'lost', status: 'open' });
    const claimId = String(claim?.['claimId']);
    // The open claim holds the unit: staff cannot claim it twice.
    const twice = await api('POST', `/v1/orders/${orderId}/claims`, { lines: [{ lineId: bookLine, quantity: 1 }], kind: 'lost', resolution: 'refund' }, { 'idempotency-key': randomUUID() });
    expect(twice.status).toBe(422);
    expect(twice.body.error?.details).toEqual([expect.objectContaining({ path: 'lines.0.quantity', code: 'over_claimed' })]);

    const dismissed = await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'dismiss', by: 'Ana', note: 'Found at the depot' });
    expect(dismissed.status, JSON.stringify(dismissed.body)).toBe(200);
    expect(dismissed.body).toMatchObject({ status: 'dismissed', resolvedBy: 'Ana', resolutionNote: 'Found at the depot' });
    expect(dismissed.body['reshipOrderId']).toBeUndefined();
    expect((await api('POST', `/v1/orders/${orderId}/claims/${claimId}/resolve`, { resolution: 'refund', by: 'Bob' })).status).toBe(409);
    expect(await timelineOf(orderId)).toContain('claim_dismissed');
    await oms.settle();
    expect(claimResolved(claimId)).toEqual([expect.objectContaining({ orderId, resolution: 'dismiss', kind: 'lost', resolvedBy: 'Ana', shipmentId: must(parcel).fulfillmentId })]);
    expect(claimResolved(claimId)[0]?.['refundId']).toBeUndefined();
    // Given back: a later claim for the unit is accepted.
    const later = await api('POST', `/v1/orders/${orderId}/claims`, { lines: [{ lineId: bookLine, quantity: 1 }], kind: 'damaged', resolution: 'refund' }, { 'idempotency-key': randomUUID() });
    expect(later.status, JSON.stringify(later.body)).toBe(201);
    expect(later.body).toMatchObject({ status: 'settled', refund: { amount: 2160 } });
  }, 180_000);

  it('an exchange whose return came back without the units keeps its replacement held, said on both timelines, and refunds nothing', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'EXM-TEE-M', quantity: 1 }]);
    const [teeLine] = lineIds as [string];
    expect((await stock('EXM-TEE-L', 2)).status).toBe(201);
    const requested = await requestReturn(orderId, { lines: [{ lineId: teeLine, quantity: 1, reason: 'size' }], resolution: 'exchange', exchange: { lines: [{ sku: 'EXM-TEE-L', quantity: 1, replaces: teeLine }] } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const returnId = String(requested.body['returnId']);
    await oms.settle();
    const exchangeOrderId = String(((await api('GET', `/v1/returns/${returnId}`)).body['exchange'] as Json)['orderId']);
    expect((await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: teeLine, condition: 'missing' }] })).status).toBe(200);
    await oms.settle();
    expect((await api('GET', `/v1/returns/${returnId}`)).body).toMatchObject({ status: 'closed', refund: { status: 'exchange_held', exchangeOrderId, missing: '1 × EXM-TEE-M' } });
    const replacement = (await api('GET', `/v1/orders/${exchangeOrderId}`)).body;
    expect(replacement).toMatchObject({ status: 'reserved', fulfillmentHold: { reason: 'awaiting_return', placedBy: { type: 'return', returnId }, note: expect.stringContaining('came back without 1 × EXM-TEE-M') } });
    expect((await api('GET', `/v1/fulfillments?orderId=${exchangeOrderId}`)).body.items).toEqual([]);
    expect(await timelineOf(exchangeOrderId)).toContain('hold_updated');
    expect(await timelineOf(exchangeOrderId)).not.toContain('hold_released');
    const original = ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).find((e) => e['type'] === 'return_refunded');
    expect(String(original?.['message'])).toContain(`Exchange order ${exchangeOrderId} stays held: the return came back without 1 × EXM-TEE-M`);
    expect((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items).toEqual([]);
    // Staff release it to ship anyway.
    expect((await api('POST', `/v1/orders/${exchangeOrderId}/release`, { by: 'Ana', note: 'Customer sent photos' })).status).toBe(200);
    await oms.settle();
    expect((await api('GET', `/v1/orders/${exchangeOrderId}`)).body['status']).toBe('routed');
  }, 180_000);

  it('a store-credit return issues a code for the customer instead of money back, with its credit note', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'SC-SCARF', quantity: 1 }]);
    const [line] = lineIds as [string];
    const requested = await requestReturn(orderId, { lines: [{ lineId: line, quantity: 1, reason: 'size' }], resolution: 'store_credit' });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const returnId = String(requested.body['returnId']);
    await oms.settle();
    expect((await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: line, condition: 'resellable' }] })).status).toBe(200);
    await oms.settle();
    const [refund] = ((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items ?? []) as Json[];
    expect(refund).toMatchObject({ kind: 'return', amount: 2160, status: 'store_credit', providerRefunds: [] });
    expect(String(refund?.['creditNoteId'])).toMatch(/^CN-/);
    const code = String(refund?.['storeCreditCode']);
    expect(code).toMatch(/^SC-[2-9A-HJ-NP-Z]{16}$/);
    const credits = await api('GET', '/v1/store-credits?email=ADA@example.com');
    expect(credits.status).toBe(200);
    expect(credits.body.items?.filter((c) => c['returnId'] === returnId)).toEqual([
      expect.objectContaining({ code, amount: 2160, currency: 'USD', email: 'ada@example.com', orderId, refundId: refund?.['refundId'], creditNoteId: refund?.['creditNoteId'] }),
    ]);
    expect((await api('GET', `/v1/returns/${returnId}`)).body).toMatchObject({ status: 'closed', refund: { status: 'store_credit', storeCreditCode: code } });
    const message = (await messages(orderId)).find((m) => m.template === 'refund_issued' && m.channel === 'email');
    expect(message?.body).toContain(code);
    expect((await api('GET', '/v1/store-credits?email=not-an-email')).status).toBe(422);
  }, 180_000);
});
