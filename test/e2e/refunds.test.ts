import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { locationBody } from '../support/fixtures.ts';

/**
 * A goodwill refund of a shipped, card-paid order through HTTP in the
 * running local OMS: the sandbox provider refunds the capture, a credit note
 * is numbered and readable as JSON and HTML, RefundIssued and
 * CreditNoteIssued reach the bus, and the customer hears about it once.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; message: string; details: { path: string }[] }; items?: Json[] }; text: string; contentType: string };
let oms: RunningOms;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, body: (contentType.includes('json') && text ? JSON.parse(text) : {}) as Reply['body'], text, contentType };
}

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-refunds-${randomUUID()}`,
    apiToken: 'refunds-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
  });
  expect((await api('PUT', '/v1/locations/wh-east', locationBody({ name: 'Boston DC' }))).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('refunds, end to end in the local runtime', () => {
  it('refunds goodwill on a shipped card-paid order: provider refund, credit note as JSON and HTML, events, one message; a replay answers the same bytes, bad requests are refused', async () => {
    expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku: 'RF-1', locationId: 'wh-east', quantity: 5 })).status).toBe(201);
    const placed = await api(
      'POST',
      '/v1/orders',
      {
        channelId: 'web-store',
        currency: 'USD',
        customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
        shippingAddress: { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' },
        lines: [{ sku: 'RF-1', title: 'Mug', quantity: 2, unitPrice: 2500, tax: 160 }],
        shipping: { price: 500 },
        fulfillment: { type: 'ship' },
        payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const orderId = String((placed.body['order'] as Json)['orderId']);
    await oms.settle();
    const [parcel] = (await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? [];
    for (const type of ['accepted', 'picked', 'packed', 'shipped']) {
      expect((await api('POST', `/v1/fulfillments/${String(parcel?.['fulfillmentId'])}/events`, { type })).status).toBe(200);
      await oms.settle();
    }
    const [invoice] = (await api('GET', `/v1/invoices?orderId=${orderId}`)).body.items ?? [];
    expect(invoice).toBeDefined();

    // Too much: a 422 naming both figures (captured $56.60: 2 × $25.00 + $1.60 tax + $5.00 shipping), nothing refunded.
    const tooMuch = await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 5661, reason: 'late' }, { 'idempotency-key': 'gw-too-much' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error?.message).toBe('A refund of $56.61 exceeds the refundable $56.60 (captured $56.60, refunded so far $0.00)');
    expect(tooMuch.body.error?.details.map((d) => d.path)).toEqual(['amount']);
    expect((await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 100 }, { 'idempotency-key': 'gw-no-reason' })).status).toBe(422);
    expect((await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 100, reason: 'x' })).status).toBe(422);
    expect((await api('POST', `/v1/orders/01M8EJV774P67P6BX5MZSVEP9Q/refunds`, { amount: 100, reason: 'x' }, { 'idempotency-key': 'gw-404' })).status).toBe(404);

    const created = await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 1500, reason: 'Parcel arrived late', note: 'agreed on the phone' }, { 'idempotency-key': 'gw-1' });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ orderId, kind: 'goodwill', amount: 1500, goodwill: 1500, status: 'refunded', mode: 'provider', provider: 'sandbox', reason: 'Parcel arrived late' });
    const replay = await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 1500, reason: 'Parcel arrived late', note: 'agreed on the phone' }, { 'idempotency-key': 'gw-1' });
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(created.text);
    expect((await api('POST', `/v1/orders/${orderId}/refunds`, { amount: 1400, reason: 'Parcel arrived late' }, { 'idempotency-key': 'gw-1' })).status).toBe(409);

    const listed = await api('GET', `/v1/orders/${orderId}/refunds`);
    expect(listed.body.items).toEqual([created.body]);

    const creditNoteId = String(created.body['creditNoteId']);
    const note = await api('GET', `/v1/credit-notes/${creditNoteId}`);
    expect(note.body).toMatchObject({ creditNoteId, series: 'CN', orderId, refundId: created.body['refundId'], invoiceIds: [invoice?.['invoiceId']], totals: { goodwill: 1500, total: 1500 } });
    const html = await api('GET', `/v1/credit-notes/${creditNoteId}`, undefined, { accept: 'text/html' });
    expect(html.contentType).toContain('text/html');
    expect(html.text).toContain(`<h1>Credit note ${creditNoteId}</h1>`);
    expect(html.text).toContain('<strong>$15.00</strong>');
    expect((await api('GET', `/v1/credit-notes?orderId=${orderId}`)).body.items).toEqual([note.body]);
    expect((await api('GET', '/v1/credit-notes/CN-999999')).status).toBe(404);

    await oms.settle();
    const published = (type: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(orderId));
    expect(published('RefundIssued')).toHaveLength(1);
    expect(published('CreditNoteIssued')).toHaveLength(1);
    const messages = ((await api('GET', `/v1/notifications?orderId=${orderId}`)).body.items ?? []).filter((m) => m['template'] === 'refund_issued');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ status: 'sent', subject: `Order ${orderId}: refund of $15.00` });
    const timeline = ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).map((e) => String(e['type']));
    expect(timeline).toEqual(expect.arrayContaining(['refund_started', 'refund_issued', 'credit_note_issued']));
  });
});
