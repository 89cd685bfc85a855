import { createHmac, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { allItems } from '../support/table.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * A delivered order returned end to end in the running local OMS: the
 * request (approved by policy or by staff), the synthesized returnApproved
 * and returnReceived state machines, the sandbox carrier's return label, the
 * carrier webhook's scans, the receipt with a resellable and a damaged line,
 * the stock figures, the refund to the minor unit and its credit note, the
 * close, and the customer's three messages and the events, each once.
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

type LineSpec = { sku: string; quantity: number; unitPrice?: number; discount?: number; tax?: number };

async function deliveredOrder(lines: LineSpec[]): Promise<{ orderId: string; lineIds: string[] }> {
  for (const l of lines) expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku: l.sku, locationId: 'wh-east', quantity: l.quantity })).status).toBe(201);
  const placed = await api(
    'POST',
    '/v1/orders',
    {
      channelId: 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      shippingAddress: BOSTON,
      lines: lines.map((l) => ({ sku: l.sku, title: `Item ${l.sku}`, quantity: l.quantity, unitPrice: l.unitPrice ?? 2000, discount: l.discount ?? 0, tax: l.tax ?? 160 * l.quantity })),
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
  expect((await scan(parcel.carrier.carrierId, parcel.carrier.trackingNumber, 'delivered')).status).toBe(200);
  await oms.settle();
  expect((await api('GET', `/v1/orders/${order.orderId}`)).body['status']).toBe('delivered');
  return { orderId: order.orderId, lineIds: order.lines.map((l) => l.lineId) };
}

function scan(carrierId: string, trackingNumber: string, status: string): Promise<Response> {
  const raw = JSON.stringify({ trackingNumber, status, occurredAt: new Date().toISOString(), description: `Parcel ${status}` });
  return fetch(`${oms.url}/webhooks/carriers/${carrierId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', oms.carrierWebhookSecret).update(raw).digest('hex')}` },
    body: raw,
  });
}

const stockAt = async (sku: string, locationId: string) =>
  ((await api('GET', `/v1/inventory/${sku}`)).body['locations'] as { locationId: string; onHand: number; available: number }[]).find((l) => l.locationId === locationId);
const messages = async (orderId: string) => ((await api('GET', `/v1/notifications?orderId=${orderId}`)).body.items ?? []) as { template: string; channel: string; about: string; body: string; subject?: string }[];
const eventsOf = (type: string, returnId: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(returnId));
const requestReturn = (orderId: string, body: unknown, key = randomUUID()) => api('POST', `/v1/orders/${orderId}/returns`, body, { 'idempotency-key': key });

beforeAll(async () => {
  tableName = `oms-returns-${randomUUID()}`;
  oms = await startOms({ port: 0, dynamoEndpoint: inject('dynamoEndpoint'), tableName, apiToken: 'returns-token-0123456789abcdef', logLevel: 'ERROR', schedules: false });
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
    reasons: [
      { reason: 'damaged', needsApproval: true },
      { reason: 'size' },
      { reason: 'changed_mind', restockingFee: true },
    ],
    restockingFeePercent: 10,
    receivingLocation: { strategy: 'nearest' },
    receiveWithinDays: 14,
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('returns, end to end in the local runtime', () => {
  it('returns a delivered order: requested, approved by staff, label e-mailed, scanned, received (one resellable, one damaged line), restocked and written off, refunded to the minor unit with its credit note, closed, each message and event once', async () => {
    // Odd figures, so each line's share of price, discount and tax is a cumulative floor, not a plain division.
    const { orderId, lineIds } = await deliveredOrder([
      { sku: 'RET-TEE', quantity: 3, unitPrice: 1999, discount: 500, tax: 479 },
      { sku: 'RET-MUG', quantity: 1, unitPrice: 2000, tax: 160 },
    ]);
    const [teeLine, mugLine] = lineIds as [string, string];
    const before = { tee: await stockAt('RET-TEE', 'returns-nj'), mug: await stockAt('RET-MUG', 'returns-nj'), teeEast: await stockAt('RET-TEE', 'wh-east'), mugEast: await stockAt('RET-MUG', 'wh-east') };
    expect(before).toMatchObject({ tee: undefined, mug: undefined, teeEast: { onHand: 0, available: 0 }, mugEast: { onHand: 0, available: 0 } });
    const [invoice] = ((await api('GET', `/v1/invoices?orderId=${orderId}`)).body.items ?? []) as { invoiceId: string }[];
    expect(invoice).toBeDefined();

    const requested = await requestReturn(orderId, {
      lines: [
        { lineId: teeLine, quantity: 1, reason: 'changed_mind' },
        { lineId: mugLine, quantity: 1, reason: 'damaged' },
      ],
      customerNote: 'The mug arrived chipped',
      resolution: 'refund',
    });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const returnId = String(requested.body['returnId']);
    expect(returnId).toBe(`${orderId}-R1`);
    // `damaged` needs approval under this policy: the return waits for staff. The nearest returns-capable location receives it.
    expect(requested.body).toMatchObject({ status: 'requested', needsApproval: true, receivingLocationId: 'returns-nj', resolution: 'refund', customerNote: 'The mug arrived chipped' });

    // Two staff approving at once: one wins, the other is a 409.
    const approvals = await Promise.all([api('POST', `/v1/returns/${returnId}/approve`, {}), api('POST', `/v1/returns/${returnId}/approve`, { note: 'photo checked' })]);
    expect(approvals.map((a) => a.status).sort()).toEqual([200, 409]);
    await oms.settle();

    const approved = (await api('GET', `/v1/returns/${returnId}`)).body as Json & { label: { carrierId: string; trackingNumber: string; labelFormat: string }; receiveBy: string };
    expect(approved).toMatchObject({ status: 'approved', label: { labelFormat: 'ZPL', trackingNumber: expect.stringMatching(/^(PC|SW)\d{12}$/) } });
    expect(Date.parse(approved.receiveBy) - Date.now()).toBeGreaterThan(13 * 86_400_000);
    // The label is e-mailed once, by the time the label workflow ends (before the parcel moves).
    const labelMail = (await messages(orderId)).filter((m) => m.about === returnId && m.template === 'return_approved');
    expect(labelMail).toHaveLength(1);
    expect(labelMail[0]?.body).toContain(approved.label.trackingNumber);
    expect(labelMail[0]?.body).toContain('NJ returns centre');

    // The carrier's scans of the return label move the return, not the order's parcel.
    const scanned = await scan(approved.label.carrierId, approved.label.trackingNumber, 'in_transit');
    expect(scanned.status).toBe(200);
    expect(await scanned.json()).toMatchObject({ outcome: 'applied', shipmentId: returnId, orderStatus: 'delivered' });
    expect((await api('GET', `/v1/returns/${returnId}`)).body).toMatchObject({ status: 'in_transit', tracking: { status: 'in_transit' } });

    // A receipt naming a line that is not in the return: 422 naming it, nothing written.
    const untouched = await allItems(db, tableName);
    const wrong = await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: 'L99', condition: 'resellable' }, { lineId: teeLine, condition: 'resellable' }, { lineId: mugLine, condition: 'damaged' }] });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error?.details).toEqual([expect.objectContaining({ path: 'lines.0.lineId', code: 'unknown_line' })]);
    expect(await allItems(db, tableName)).toEqual(untouched);

    // Two receipts at once: one wins, the other is a 409.
    const receipts = await Promise.all(
      [0, 1].map(() => api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: teeLine, condition: 'resellable' }, { lineId: mugLine, condition: 'damaged' }] })),
    );
    expect(receipts.map((r) => r.status).sort()).toEqual([200, 409]);
    await oms.settle();

    // Resellable: back to available at the returns location. Damaged: written off, never available. The shipping location is untouched.
    expect(await stockAt('RET-TEE', 'returns-nj')).toMatchObject({ onHand: 1, available: 1 });
    expect(await stockAt('RET-MUG', 'returns-nj')).toMatchObject({ onHand: 0, available: 0 });
    expect(await stockAt('RET-TEE', 'wh-east')).toMatchObject({ onHand: 0, available: 0 });
    expect(await stockAt('RET-MUG', 'wh-east')).toMatchObject({ onHand: 0, available: 0 });
    const ledger = ((await api('GET', '/v1/inventory/RET-MUG/movements')).body.items ?? []) as { type: string; reference?: string; onHandDelta: number }[];
    expect(ledger.filter((m) => m.reference === returnId)).toEqual([expect.objectContaining({ type: 'write_off', onHandDelta: 0 })]);
    const teeLedger = ((await api('GET', '/v1/inventory/RET-TEE/movements')).body.items ?? []) as { type: string; reference?: string; onHandDelta: number }[];
    expect(teeLedger.filter((m) => m.reference === returnId)).toEqual([expect.objectContaining({ type: 'return_restock', onHandDelta: 1 })]);

    // The refund, exact to the minor unit: each line's cumulative-floor share of its price, discount and tax
    // (tee 1 of 3: 5997 / 3 = 1999, discount floor(500 / 3) = 166, tax floor(479 / 3) = 159 → 1992; mug 2000 + 160 = 2160),
    // shipping kept (the policy does not refund it), the 10 % restocking fee on the changed-mind tee deducted (floor(1992 × 10 %) = 199).
    const refunds = ((await api('GET', `/v1/orders/${orderId}/refunds`)).body.items ?? []) as (Json & { refundId: string; creditNoteId: string })[];
    expect(refunds).toHaveLength(1);
    const [refund] = refunds as [(typeof refunds)[number]];
    expect(refund).toMatchObject({
      kind: 'return',
      returnId,
      key: `return:${returnId}`,
      mode: 'provider',
      status: 'refunded',
      lines: [
        { lineId: teeLine, sku: 'RET-TEE', quantity: 1, subtotal: 1999, discount: 166, tax: 159, amount: 1992 },
        { lineId: mugLine, sku: 'RET-MUG', quantity: 1, subtotal: 2000, discount: 0, tax: 160, amount: 2160 },
      ],
      fee: 199,
      value: 3953,
      amount: 3953,
    });
    expect(refund['shipping']).toBeUndefined();

    // The credit note, in its own series, referencing the invoice it corrects, with the same figures.
    const notes = ((await api('GET', `/v1/credit-notes?orderId=${orderId}`)).body.items ?? []) as Json[];
    expect(notes).toEqual([
      expect.objectContaining({
        creditNoteId: refund.creditNoteId,
        series: 'CN',
        orderId,
        refundId: refund.refundId,
        returnId,
        invoiceIds: [invoice?.invoiceId],
        totals: { subtotal: 3999, discount: 166, shipping: 0, tax: 319, fee: 199, goodwill: 0, total: 3953 },
      }),
    ]);

    const closed = (await api('GET', `/v1/returns/${returnId}`)).body as Json & { timeline: { type: string }[] };
    expect(closed).toMatchObject({
      status: 'closed',
      receipt: { locationId: 'returns-nj' },
      lines: [{ lineId: teeLine, condition: 'resellable' }, { lineId: mugLine, condition: 'damaged' }],
      refund: { refundId: refund.refundId, amount: 3953, status: 'refunded' },
    });
    expect(closed.timeline.map((e) => e.type)).toEqual(['requested', 'approved', 'label_created', 'in_transit', 'received', 'restocked', 'refunded', 'closed']);
    const orderTimeline = ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).map((e) => String(e['type']));
    expect(orderTimeline).toEqual(
      expect.arrayContaining(['return_requested', 'return_approved', 'return_label_created', 'return_in_transit', 'return_received', 'return_restocked', 'refund_issued', 'credit_note_issued', 'return_refunded', 'return_closed']),
    );
    // The order itself stays delivered: a return is its own record.
    expect((await api('GET', `/v1/orders/${orderId}`)).body['status']).toBe('delivered');

    // Customer messages: return approved (with the label), return received, refund issued — each exactly once.
    const sent = await messages(orderId);
    expect(sent.filter((m) => m.about === returnId).map((m) => m.template).sort()).toEqual(['return_approved', 'return_received']);
    expect(sent.find((m) => m.template === 'return_received')?.body).toMatch(/damaged/);
    const refundMail = sent.filter((m) => m.template === 'refund_issued');
    expect(refundMail).toHaveLength(1);
    expect(refundMail[0]).toMatchObject({ about: refund.refundId, subject: `Order ${orderId}: refund of $39.53` });

    // Events: each once.
    for (const type of ['ReturnRequested', 'ReturnApproved', 'ReturnReceived', 'ReturnClosed', 'RefundIssued']) expect(eventsOf(type, returnId), type).toHaveLength(1);
    expect(eventsOf('CreditNoteIssued', refund.creditNoteId)).toHaveLength(1);
    expect(oms.events.list().filter((e) => e['detail-type'] === 'CreditNoteIssued' && JSON.stringify(e.detail).includes(orderId))).toHaveLength(1);
    expect(eventsOf('ReturnClosed', returnId)[0]?.detail).toMatchObject({ data: { returnId, outcome: 'settled', refund: { refundId: refund.refundId, amount: 3953 } } });

    // The same units cannot be returned twice; the rest of the tee line can.
    const again = await requestReturn(orderId, { lines: [{ lineId: mugLine, quantity: 1, reason: 'size' }] });
    expect(again.status).toBe(422);
    expect(again.body.error?.details).toEqual([expect.objectContaining({ path: 'lines.0.quantity', code: 'over_returned' })]);
    // Approving or receiving a closed return is a 409 naming its status, and writes nothing.
    const settled = await allItems(db, tableName);
    const late = await api('POST', `/v1/returns/${returnId}/approve`, {});
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'invalid_transition' });
    expect((await api('POST', `/v1/returns/${returnId}/receipt`, { lines: [{ lineId: teeLine, condition: 'resellable' }, { lineId: mugLine, condition: 'damaged' }] })).status).toBe(409);
    expect(await allItems(db, tableName)).toEqual(settled);

    const listed = (await api('GET', `/v1/returns?orderId=${orderId}`)).body.items ?? [];
    expect(listed.map((r) => r['returnId'])).toEqual([returnId]);
    const closedOnes = (await api('GET', '/v1/returns?status=closed')).body.items ?? [];
    expect(closedOnes.map((r) => r['returnId'])).toContain(returnId);
  }, 120_000);

  it('approves a return at once when no reason needs approval, and replays the same answer for the same Idempotency-Key', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'RET-CAP', quantity: 1 }]);
    const key = randomUUID();
    const body = { lines: [{ lineId: lineIds[0], quantity: 1, reason: 'size' }] };
    const first = await requestReturn(orderId, body, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'approved', needsApproval: false });
    const replay = await requestReturn(orderId, body, key);
    expect(replay).toEqual(first);
    const reused = await requestReturn(orderId, { ...body, customerNote: 'other' }, key);
    expect(reused.status).toBe(409);
    await oms.settle();
    const returnId = String(first.body['returnId']);
    expect((await api('GET', `/v1/returns/${returnId}`)).body).toMatchObject({ status: 'approved', label: { labelFormat: 'ZPL' } });
    expect((await messages(orderId)).filter((m) => m.template === 'return_approved')).toHaveLength(1);
    expect(eventsOf('ReturnApproved', returnId)).toHaveLength(1);
  }, 120_000);

  it('refuses bad requests with a 4xx naming the problem, and writes nothing', async () => {
    const { orderId, lineIds } = await deliveredOrder([{ sku: 'RET-BAD', quantity: 1 }]);
    const before = await allItems(db, tableName);
    const cases: [unknown, number, string][] = [
      [{ lines: [{ lineId: lineIds[0], quantity: 2, reason: 'size' }] }, 422, 'lines.0.quantity'],
      [{ lines: [{ lineId: 'NOPE', quantity: 1, reason: 'size' }] }, 422, 'lines.0.lineId'],
      [{ lines: [{ lineId: lineIds[0], quantity: 1, reason: 'wrong_item' }] }, 422, 'lines.0.reason'],
      [{ lines: [{ lineId: lineIds[0], quantity: 1, reason: 'size' }], resolution: 'cash' }, 422, 'resolution'],
    ];
    for (const [body, status, path] of cases) {
      const reply = await requestReturn(orderId, body);
      expect(reply.status, JSON.stringify(reply.body)).toBe(status);
      expect(reply.body.error?.details.map((d) => d.path)).toContain(path);
    }
    expect((await api('POST', `/v1/orders/${orderId}/returns`, { lines: [{ lineId: lineIds[0], quantity: 1, reason: 'size' }] })).status).toBe(422);
    expect((await api('POST', '/v1/returns/01M8EJV774P67P6BX5MZSVEP9Q-R1/approve', {})).status).toBe(404);
    const after = await allItems(db, tableName);
    const ours = (items: Record<string, unknown>[]) => items.filter((i) => String(i['PK']).includes(orderId) || String(i['SK']).includes(orderId)).length;
    expect(ours(after)).toBe(ours(before));
  }, 120_000);
});
