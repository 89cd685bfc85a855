import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { FulfillmentReported } from '#events/fulfillment-reported.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { fixtureText } from '../support/channel-fixtures.ts';
import { locationBody, must } from '../support/fixtures.ts';

/**
 * From reserved order to delivered parcel in the running local OMS: the
 * synthesized fulfillOrder and completeShipment state machines run by
 * aws-local-stepfunctions, routing by rules stored through the API, the
 * sandbox payment provider and carriers, locations confirming over HTTP,
 * carrier tracking webhooks, invoices and the customer's messages.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; message: string; details: { path: string }[] }; items?: Json[] }; text: string; contentType: string };
let oms: RunningOms;
const SHOPIFY_SECRET = 'shpss_fulfillment_e2e_0123456789abcdef01';

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, body: (contentType.includes('json') && text ? JSON.parse(text) : {}) as Reply['body'], text, contentType };
}

async function receive(sku: string, locationId: string, quantity: number): Promise<void> {
  expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku, locationId, quantity })).status).toBe(201);
}

const BOSTON = { name: 'Ada Lovelace', lines: ['1 Main St'], city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' };
const LOS_ANGELES = { name: 'Grace Hopper', lines: ['200 N Spring St'], city: 'Los Angeles', region: 'CA', postalCode: '90012', country: 'US' };

interface OrderOptions {
  payment?: Json;
  address?: Json;
  fulfillment?: Json;
  channelId?: string;
}

async function placeOrder(lines: { sku: string; quantity: number; unitPrice?: number }[], options: OrderOptions = {}): Promise<string> {
  const reply = await api(
    'POST',
    '/v1/orders',
    {
      channelId: options.channelId ?? 'web-store',
      currency: 'USD',
      customer: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+16175550100', smsConsent: true },
      shippingAddress: options.address ?? BOSTON,
      lines: lines.map((l) => ({ sku: l.sku, title: `Item ${l.sku}`, quantity: l.quantity, unitPrice: l.unitPrice ?? 1000, tax: 80 * l.quantity })),
      shipping: { price: 500 },
      fulfillment: options.fulfillment ?? { type: 'ship' },
      payment: options.payment ?? { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    },
    { 'idempotency-key': randomUUID() },
  );
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return String((reply.body['order'] as Json)['orderId']);
}

const order = async (orderId: string) => (await api('GET', `/v1/orders/${orderId}`)).body;
const fulfillments = async (orderId: string) => ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as (Json & { fulfillmentId: string; status: string; locationId: string; carrier?: Json; lines: Json[] })[];
const timeline = async (orderId: string) => ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []).map((e) => String(e['type']));
const notifications = async (orderId: string) => ((await api('GET', `/v1/notifications?orderId=${orderId}`)).body.items ?? []) as (Json & { template: string; channel: string; status: string; body: string })[];
const invoices = async (orderId: string) => ((await api('GET', `/v1/invoices?orderId=${orderId}`)).body.items ?? []) as (Json & { invoiceId: string; number: number; totals: { total: number } })[];
const events = (type: string, orderId: string) =>
  oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(orderId)) as { detail: { data: Json; metadata: Json } }[];

async function report(fulfillmentId: string, event: Json): Promise<Reply> {
  const reply = await api('POST', `/v1/fulfillments/${fulfillmentId}/events`, event);
  await oms.settle();
  return reply;
}

async function ship(fulfillmentId: string): Promise<void> {
  for (const type of ['accepted', 'picked', 'packed', 'shipped']) expect((await report(fulfillmentId, { type })).status).toBe(200);
}

function carrierWebhook(carrierId: string, body: Json, secret = oms.carrierWebhookSecret): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(`${oms.url}/webhooks/carriers/${carrierId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-carrier-signature': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}` },
    body: raw,
  });
}

async function track(fulfillment: { carrier?: Json }, status: string, minutesFromNow = 0): Promise<Response> {
  const response = await carrierWebhook(String(fulfillment.carrier?.['carrierId']), {
    trackingNumber: fulfillment.carrier?.['trackingNumber'],
    status,
    occurredAt: new Date(Date.now() + minutesFromNow * 60_000).toISOString(),
    description: `Parcel ${status.replaceAll('_', ' ')}`,
  });
  await oms.settle();
  return response;
}

async function settled<T>(read: () => Promise<T>): Promise<T> {
  await oms.settle();
  return read();
}

beforeAll(async () => {
  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-fulfillment-${randomUUID()}`,
    apiToken: 'fulfillment-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
    // Each WMS reports on the bus with its own source, for its own locations only.
    wmsLocations: { west: ['wh-west'], east: ['wh-east'] },
  });
  const locations: [string, Json][] = [
    ['wh-east', locationBody({ name: 'Boston DC' })],
    ['wh-west', locationBody({ name: 'Los Angeles DC', address: { lines: ['1 Alameda St'], city: 'Los Angeles', region: 'CA', postalCode: '90012', country: 'US' }, geo: { lat: 34.05, lon: -118.24 } })],
    [
      'store-nyc',
      locationBody({ name: 'NYC store', type: 'store', address: { lines: ['350 5th Ave'], city: 'New York', region: 'NY', postalCode: '10118', country: 'US' }, geo: { lat: 40.75, lon: -73.99 }, capabilities: ['ship', 'pickup'] }),
    ],
    ['outlet-nj', locationBody({ name: 'NJ outlet', type: 'store', address: { lines: ['1 Outlet Rd'], city: 'Newark', region: 'NJ', postalCode: '07102', country: 'US' }, geo: { lat: 40.73, lon: -74.17 }, capabilities: ['ship'] })],
  ];
  for (const [id, body] of locations) expect((await api('PUT', `/v1/locations/${id}`, body)).status).toBe(201);
  expect((await api('PUT', '/v1/channels/web-store', { type: 'web', name: 'Web store', settings: {} })).status).toBe(201);
  expect(
    (
      await api('PUT', '/v1/channels/shopify-us', {
        type: 'shopify',
        name: 'Acme US',
        settings: { shopDomain: 'acme.myshopify.com', apiVersion: '2026-04' },
        secrets: { webhookSecret: SHOPIFY_SECRET },
      })
    ).status,
  ).toBe(201);
  // Warehouses first, nearest first; stores only when no warehouse can do it.
  const rules = await api('PUT', '/v1/routing-rules/default', {
    description: 'Warehouses by distance, then stores',
    rules: [
      { ruleId: 'warehouses', filters: { locationTypes: ['warehouse'] }, sort: ['distance'], split: { policy: 'fewest', maxShipments: 2 }, whenShort: { action: 'next_rule' } },
      { ruleId: 'stores', filters: { locationTypes: ['store'] }, sort: ['distance'], split: { policy: 'never', maxShipments: 1 }, whenShort: { action: 'backorder' } },
    ],
  });
  expect(rules.status, JSON.stringify(rules.body)).toBe(201);
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
});

describe('fulfillment, end to end in the local runtime', () => {
  it('takes a card-paid web order from reservation to delivery: routed, labelled, confirmed by the location, captured, invoiced, tracked, each message sent once', async () => {
    await receive('HAPPY-1', 'wh-east', 5);
    await receive('HAPPY-1', 'wh-west', 5);
    const orderId = await placeOrder([{ sku: 'HAPPY-1', quantity: 2, unitPrice: 2500 }]);
    expect(await settled(() => order(orderId))).toMatchObject({ status: 'routed' });

    const routing = (await api('GET', `/v1/orders/${orderId}/routing`)).body as { decision: { ruleId: string; shipments: Json[]; candidates: Json[]; rules: Json[] } };
    expect(routing.decision.ruleId).toBe('warehouses');
    expect(routing.decision.shipments).toEqual([expect.objectContaining({ locationId: 'wh-east' })]);
    expect(routing.decision.candidates.map((c) => c['locationId'])).toEqual(expect.arrayContaining(['wh-east', 'wh-west', 'store-nyc']));
    expect(routing.decision.candidates.find((c) => c['locationId'] === 'store-nyc')).toMatchObject({ eligible: false, excludedBecause: expect.stringContaining('type store') });
    expect(routing.decision.candidates.find((c) => c['locationId'] === 'wh-west')).toMatchObject({
      eligible: true,
      chosen: false,
      notChosenBecause: expect.stringMatching(/^ranked below wh-east by distance \(it is \d+ km away; wh-east is [\d.]+ km away\), and wh-east ships every line$/),
    });

    const [parcel] = await fulfillments(orderId);
    expect(parcel).toMatchObject({ locationId: 'wh-east', status: 'created', lines: [{ sku: 'HAPPY-1', quantity: 2 }] });
    expect(parcel?.carrier).toMatchObject({ labelFormat: 'ZPL', trackingNumber: expect.stringMatching(/^(PC|SW)\d{12}$/), zone: 2 });
    expect(String(parcel?.carrier?.['label'])).toMatch(/^\^XA[\s\S]*Ada Lovelace[\s\S]*\^XZ$/);
    expect((await notifications(orderId)).map((n) => `${n.template}/${n.channel}/${n.status}`).sort()).toEqual(['order_confirmed/email/sent', 'order_confirmed/sms/sent']);

    expect((await report(must(parcel).fulfillmentId, { type: 'accepted' })).body).toMatchObject({ outcome: 'applied', orderStatus: 'fulfilling' });
    expect((await report(must(parcel).fulfillmentId, { type: 'accepted' })).body).toMatchObject({ outcome: 'unchanged' });
    await report(must(parcel).fulfillmentId, { type: 'picked' });
    await report(must(parcel).fulfillmentId, { type: 'packed' });
    const shipped = await report(must(parcel).fulfillmentId, { type: 'shipped' });
    expect(shipped.body).toMatchObject({ outcome: 'applied', orderStatus: 'shipped', fulfillment: { status: 'shipped' } });
    expect((await report(must(parcel).fulfillmentId, { type: 'picked' })).body.error).toMatchObject({ code: 'invalid_transition' });

    const total = Number((await order(orderId))['totals'] && ((await order(orderId))['totals'] as Json)['total']);
    expect(total).toBe(2 * 2500 + 160 + 500);
    expect(events('PaymentCaptured', orderId).map((e) => e.detail.data)).toEqual([expect.objectContaining({ amount: total, capturedTotal: total, complete: true })]);
    const [invoice] = await invoices(orderId);
    expect(invoice).toMatchObject({ shipmentId: must(parcel).fulfillmentId, totals: { total } });
    const document = await api('GET', `/v1/invoices/${must(invoice).invoiceId}`, undefined, { accept: 'text/html' });
    expect(document.contentType).toContain('text/html');
    expect(document.text).toContain(`Invoice ${must(invoice).invoiceId}`);
    expect(document.text).toContain('Item HAPPY-1');

    expect((await track(must(parcel), 'in_transit', 1)).status).toBe(200);
    expect((await track(must(parcel), 'out_for_delivery', 2)).status).toBe(200);
    const delivered = await track(must(parcel), 'delivered', 3);
    expect(await delivered.json()).toMatchObject({ outcome: 'applied', orderStatus: 'delivered' });
    expect((await order(orderId))['status']).toBe('delivered');
    expect(await fulfillments(orderId)).toEqual([expect.objectContaining({ status: 'delivered', tracking: expect.objectContaining({ status: 'delivered' }) })]);
    // A late, out-of-order update is kept in the history but does not move the parcel back.
    expect(await (await track(must(parcel), 'in_transit', 1.5)).json()).toMatchObject({ outcome: 'recorded', orderStatus: 'delivered' });

    // Redelivered events and retried workflows send nothing twice.
    for (const type of ['ShipmentShipped', 'ShipmentDelivered', 'StockReserved']) {
      for (const e of events(type, orderId)) oms.bus.putEvents([{ source: 'oms.fulfillment', detailType: type, detail: e.detail }]);
    }
    await oms.settle();
    const sent = (await notifications(orderId)).map((n) => `${n.template}/${n.channel}`).sort();
    expect(sent).toEqual(['delivered/email', 'delivered/sms', 'order_confirmed/email', 'order_confirmed/sms', 'out_for_delivery/email', 'out_for_delivery/sms', 'shipped/email', 'shipped/sms']);
    expect(oms.mail.list().filter((m) => m.tags?.['orderId'] === orderId)).toHaveLength(4);
    expect(oms.sms.list().filter((m) => m.text.includes('shipped') || m.text.includes('delivered') || m.text.includes('confirmed'))).not.toHaveLength(0);
    expect(await invoices(orderId)).toHaveLength(1);
    expect(events('PaymentCaptured', orderId)).toHaveLength(1);
    const shippedMail = (await notifications(orderId)).find((n) => n.template === 'shipped' && n.channel === 'email');
    expect(shippedMail?.body).toContain(String(must(parcel).carrier?.['trackingUrl']));

    expect(await timeline(orderId)).toEqual(
      expect.arrayContaining(['received', 'stock_reserved', 'payment_confirmed', 'fulfillment_created', 'fulfillment_accepted', 'fulfillment_picked', 'fulfillment_packed', 'shipped', 'payment_captured', 'invoice_issued', 'shipment_in_transit', 'shipment_out_for_delivery', 'shipment_delivered']),
    );
    const stock = (await api('GET', '/v1/inventory/HAPPY-1')).body as { locations: Json[] };
    expect(stock.locations.find((l) => l['locationId'] === 'wh-east')).toMatchObject({ onHand: 3, reserved: 0 });
  });

  it('splits an order no single warehouse can fill over the fewest locations; each parcel is captured and invoiced, and the invoices add up to the total', async () => {
    await receive('SPLIT-1', 'wh-east', 2);
    await receive('SPLIT-1', 'wh-west', 3);
    await receive('SPLIT-2', 'wh-west', 1);
    const orderId = await placeOrder([
      { sku: 'SPLIT-1', quantity: 4, unitPrice: 999 },
      { sku: 'SPLIT-2', quantity: 1, unitPrice: 1333 },
    ]);
    const parcels = await settled(() => fulfillments(orderId));
    expect(parcels.map((p) => [p.locationId, p.lines])).toEqual([
      ['wh-east', [{ sku: 'SPLIT-1', quantity: 2 }]],
      ['wh-west', expect.arrayContaining([{ sku: 'SPLIT-1', quantity: 2 }, { sku: 'SPLIT-2', quantity: 1 }])],
    ]);
    // A shipment reported without a fulfillment must match one; a partial one is ambiguous.
    const ambiguous = await api('POST', `/v1/orders/${orderId}/shipments`, { locationId: 'wh-east', lines: [{ sku: 'SPLIT-1', quantity: 1 }] });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.error).toMatchObject({ code: 'fulfillment_open', message: expect.stringContaining(must(parcels[0]).fulfillmentId) });
    await ship(must(parcels[0]).fulfillmentId);
    expect((await order(orderId))['status']).toBe('partially_shipped');
    // The west warehouse's WMS reports on the bus instead of the API, with its own source `wms.west`.
    // (A late `picked` after `shipped` is refused and logged, not retried into the dead-letter queue.)
    const onBus = async (source: string, report: { type: 'accepted' | 'packed' | 'shipped' | 'picked' }) => {
      const { detail } = FulfillmentReported.create({ fulfillmentId: must(parcels[1]).fulfillmentId, report }, { occurredAt: new Date(), actor: 'whatever-the-wms-says' });
      oms.bus.putEvents([{ source, detailType: 'FulfillmentReported', detail }]);
      await oms.settle();
    };
    // The east WMS may not report for the west warehouse, an unknown WMS not at all, the plain `wms` of old matches no rule: nothing changes.
    const before = await timeline(orderId);
    for (const source of ['wms.east', 'wms.ghost', 'wms']) await onBus(source, { type: 'shipped' });
    expect(await timeline(orderId)).toEqual(before);
    expect((await order(orderId))['status']).toBe('partially_shipped');
    for (const type of ['accepted', 'packed', 'shipped', 'picked'] as const) await onBus('wms.west', { type });
    expect((await order(orderId))['status']).toBe('shipped');
    const entries = ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []) as Json[];
    // The west parcel's steps name the WMS of the source, never the actor the event claims.
    expect(entries.filter((e) => e['type'] === 'fulfillment_packed').map((e) => e['actor'])).toContain('wms:west');
    expect(entries.map((e) => e['actor'])).not.toContain('whatever-the-wms-says');
    expect(oms.deadLetters.list().filter((d) => JSON.stringify(d).includes(must(parcels[1]).fulfillmentId))).toEqual([]);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['fulfillment_accepted', 'fulfillment_packed']));

    const total = ((await order(orderId))['totals'] as Json)['total'] as number;
    const issued = await invoices(orderId);
    expect(issued).toHaveLength(2);
    expect(issued.reduce((sum, i) => sum + i.totals.total, 0)).toBe(total);
    expect(must(issued[1]).number).toBe(must(issued[0]).number + 1);
    const captures = events('PaymentCaptured', orderId).map((e) => e.detail.data['amount'] as number);
    expect(captures).toHaveLength(2);
    expect(captures.reduce((a, b) => a + b, 0)).toBe(total);
    // Each parcel's invoice says exactly what was captured for it.
    const capturedFor = Object.fromEntries(events('PaymentCaptured', orderId).map((e) => [String(e.detail.data['shipmentId']), e.detail.data['amount']]));
    expect(Object.fromEntries(issued.map((i) => [String(i['shipmentId']), i.totals.total]))).toEqual(capturedFor);
  });

  it('re-routes the lines a location rejects to the next best location, releasing its stock there', async () => {
    await receive('REJECT-1', 'wh-east', 3);
    await receive('REJECT-1', 'wh-west', 3);
    const orderId = await placeOrder([{ sku: 'REJECT-1', quantity: 2 }]);
    const [first] = await settled(() => fulfillments(orderId));
    expect(first?.locationId).toBe('wh-east');
    expect((await report(must(first).fulfillmentId, { type: 'rejected', reason: 'water damage in aisle 4' })).status).toBe(200);

    const after = await settled(() => fulfillments(orderId));
    expect(after.map((f) => [f.locationId, f.status])).toEqual([
      ['wh-east', 'rejected'],
      ['wh-west', 'created'],
    ]);
    const stock = (await api('GET', '/v1/inventory/REJECT-1')).body as { locations: Json[] };
    expect(stock.locations.find((l) => l['locationId'] === 'wh-east')).toMatchObject({ reserved: 0, available: 3 });
    expect(stock.locations.find((l) => l['locationId'] === 'wh-west')).toMatchObject({ reserved: 2, available: 1 });
    const routing = (await api('GET', `/v1/orders/${orderId}/routing`)).body;
    expect(routing).toMatchObject({ excludedLocationIds: ['wh-east'], decision: { shipments: [expect.objectContaining({ locationId: 'wh-west' })] } });
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['fulfillment_rejected', 'rerouted']));
    // Re-routing confirmed the order once, not twice.
    expect((await notifications(orderId)).filter((n) => n.template === 'order_confirmed')).toHaveLength(2);
    await ship(must(after[1]).fulfillmentId);
    expect((await order(orderId))['status']).toBe('shipped');
  });

  it('keeps an order on its way when a rejected line has no other source, and ships that line when stock arrives', async () => {
    expect((await api('PUT', '/v1/inventory/TOPUP-2/policy', { backorder: 'allowed' })).status).toBe(200);
    await receive('TOPUP-1', 'wh-east', 1);
    await receive('TOPUP-2', 'wh-west', 1);
    const orderId = await placeOrder([
      { sku: 'TOPUP-1', quantity: 1 },
      { sku: 'TOPUP-2', quantity: 1 },
    ]);
    const [east, west] = await settled(() => fulfillments(orderId));
    expect([east?.locationId, west?.locationId]).toEqual(['wh-east', 'wh-west']);
    await report(must(east).fulfillmentId, { type: 'accepted' });
    await report(must(west).fulfillmentId, { type: 'rejected', reason: 'cannot find it' });
    expect(await settled(() => order(orderId))).toMatchObject({ status: 'fulfilling' });
    expect((await api('GET', `/v1/orders/${orderId}/reservation`)).body).toMatchObject({ backordered: [{ sku: 'TOPUP-2', quantity: 1 }] });

    await receive('TOPUP-2', 'wh-east', 1);
    const after = await settled(() => fulfillments(orderId));
    expect(after.map((f) => [f.locationId, f.status, f.lines])).toEqual([
      ['wh-east', 'accepted', [{ sku: 'TOPUP-1', quantity: 1 }]],
      ['wh-west', 'rejected', [{ sku: 'TOPUP-2', quantity: 1 }]],
      ['wh-east', 'created', [{ sku: 'TOPUP-2', quantity: 1 }]],
    ]);
    expect((await order(orderId))['status']).toBe('fulfilling');
    await ship(must(after[0]).fulfillmentId);
    await ship(must(after[2]).fulfillmentId);
    expect((await order(orderId))['status']).toBe('shipped');
  });

  it('times out a fulfillment the location never accepts, and re-routes it', async () => {
    await receive('SLOW-1', 'wh-east', 1);
    await receive('SLOW-1', 'store-nyc', 1);
    const orderId = await placeOrder([{ sku: 'SLOW-1', quantity: 1 }]);
    const [first] = await settled(() => fulfillments(orderId));
    expect(first).toMatchObject({ locationId: 'wh-east', status: 'created' });
    // Nothing is overdue yet.
    expect(await oms.lambdas.invoke('expireFulfillments', { job: 'fulfillment-timeouts' })).toEqual({ timedOut: [] });
    const later = new Date(Date.now() + 5 * 3_600_000).toISOString();
    expect(await oms.lambdas.invoke('expireFulfillments', { job: 'fulfillment-timeouts', asOf: later })).toEqual({ timedOut: [must(first).fulfillmentId] });
    const after = await settled(() => fulfillments(orderId));
    // No other warehouse has it: the stores rule takes over.
    expect(after.map((f) => [f.locationId, f.status])).toEqual([
      ['wh-east', 'timed_out'],
      ['store-nyc', 'created'],
    ]);
    expect((await api('GET', `/v1/orders/${orderId}/routing`)).body).toMatchObject({ decision: { ruleId: 'stores' } });
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['fulfillment_timed_out', 'rerouted']));
  });

  it('cancels an order whose card is declined: stock released, no fulfillment, the customer told once', async () => {
    await receive('DECLINE-1', 'wh-east', 2);
    const orderId = await placeOrder([{ sku: 'DECLINE-1', quantity: 2 }], { payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_insufficient_funds' } });
    expect(await settled(() => order(orderId))).toMatchObject({ status: 'cancelled' });
    expect(await fulfillments(orderId)).toEqual([]);
    expect(events('PaymentFailed', orderId).map((e) => e.detail.data)).toEqual([expect.objectContaining({ declineCode: 'insufficient_funds' })]);
    const stock = (await api('GET', '/v1/inventory/DECLINE-1')).body as { total: Json };
    expect(stock.total).toMatchObject({ reserved: 0, available: 2 });
    expect((await notifications(orderId)).map((n) => `${n.template}/${n.channel}`).sort()).toEqual(['cancelled/email', 'cancelled/sms']);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['payment_declined', 'cancelled', 'stock_released']));
  });

  it('cancels mid-flow: open fulfillments are cancelled, labels and the authorization voided, and the location can no longer ship', async () => {
    await receive('CANCEL-1', 'wh-east', 2);
    const orderId = await placeOrder([{ sku: 'CANCEL-1', quantity: 1 }]);
    const [parcel] = await settled(() => fulfillments(orderId));
    expect((await report(must(parcel).fulfillmentId, { type: 'accepted' })).status).toBe(200);
    expect((await api('POST', `/v1/orders/${orderId}/cancel`, { reason: 'customer changed their mind' })).status).toBe(200);
    await oms.settle();
    expect((await fulfillments(orderId)).map((f) => f.status)).toEqual(['cancelled']);
    expect(((await api('GET', '/v1/inventory/CANCEL-1')).body as { total: Json }).total).toMatchObject({ reserved: 0, available: 2 });
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['fulfillment_cancelled', 'payment_voided', 'stock_released']));
    const late = await report(must(parcel).fulfillmentId, { type: 'shipped' });
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe('invalid_transition');
    expect((await notifications(orderId)).filter((n) => n.template === 'cancelled')).toHaveLength(2);
  });

  it('sends pickup orders to the chosen store and holds those the store cannot serve', async () => {
    await receive('PICKUP-1', 'store-nyc', 2);
    await receive('PICKUP-1', 'wh-east', 50);
    const orderId = await placeOrder([{ sku: 'PICKUP-1', quantity: 1 }], { fulfillment: { type: 'pickup', locationId: 'store-nyc' }, payment: { state: 'paid' } });
    const [parcel] = await settled(() => fulfillments(orderId));
    expect(parcel).toMatchObject({ locationId: 'store-nyc', status: 'created' });
    expect(parcel?.carrier).toBeUndefined();
    // Handing it over at the counter is the delivery.
    await ship(must(parcel).fulfillmentId);
    expect(await order(orderId)).toMatchObject({ status: 'delivered' });
    expect((await fulfillments(orderId)).map((f) => f.status)).toEqual(['delivered']);
    const told = await notifications(orderId);
    expect(told.map((n) => n.template).sort()).toEqual(['delivered', 'delivered', 'order_confirmed', 'order_confirmed']);
    expect(told.find((n) => n.template === 'delivered' && n.channel === 'email')?.body).toContain('You collected order');

    const noPickups = await placeOrder([{ sku: 'PICKUP-1', quantity: 1 }], { fulfillment: { type: 'pickup', locationId: 'outlet-nj' }, payment: { state: 'paid' } });
    expect(await settled(() => order(noPickups))).toMatchObject({ status: 'on_hold', hold: { reason: 'pickup_unavailable' } });
    expect((await api('GET', `/v1/orders/${noPickups}/routing`)).body).toMatchObject({ decision: { outcome: 'held', candidates: [expect.objectContaining({ excludedBecause: 'the store does not serve pickups' })] } });
  });

  it('takes a signed Shopify order (paid at the channel) to delivered with no step but the location\'s and the carrier\'s', async () => {
    await receive('TEE-ORG-M-BLK', 'wh-west', 10);
    await receive('MUG-CER-350', 'wh-west', 10);
    await receive('TEE-ORG-M-BLK', 'wh-east', 1);
    const body = fixtureText('shopify-orders-create.json');
    const webhook = await fetch(`${oms.url}/webhooks/shopify-us`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': 'acme.myshopify.com', 'x-shopify-webhook-id': randomUUID(), 'x-shopify-hmac-sha256': hmacBase64(body, SHOPIFY_SECRET) },
      body,
    });
    expect(webhook.status).toBe(200);
    await oms.settle();
    const listed = (await api('GET', '/v1/orders?channelId=shopify-us')).body.items ?? [];
    const orderId = String(listed[0]?.['orderId']);
    // Boston has one tee of two: the fewest-shipments rule sends everything from Los Angeles.
    const [parcel, ...more] = await fulfillments(orderId);
    expect(more).toEqual([]);
    expect(parcel).toMatchObject({ locationId: 'wh-west', carrier: expect.objectContaining({ zone: 8 }) });
    await ship(must(parcel).fulfillmentId);
    expect(events('PaymentCaptured', orderId)).toEqual([]);
    expect(await timeline(orderId)).toEqual(expect.arrayContaining(['payment_confirmed', 'invoice_issued']));
    await track(must(parcel), 'in_transit', 1);
    // A carrier exception puts the order in `exception` until the parcel moves on.
    await track(must(parcel), 'exception', 1.5);
    expect((await order(orderId))['status']).toBe('exception');
    await track(must(parcel), 'delivered', 2);
    expect((await order(orderId))['status']).toBe('delivered');
    expect((await notifications(orderId)).map((n) => n.template).sort()).toEqual(['delivered', 'order_confirmed', 'shipped']);
  });

  it('explains what-ifs without reserving, and refuses rules, reports and webhooks it cannot trust', async () => {
    await receive('PREVIEW-1', 'wh-east', 1);
    await receive('PREVIEW-1', 'wh-west', 1);
    const preview = await api('POST', '/v1/routing/preview', { shippingAddress: { ...LOS_ANGELES, lines: ['x'] }, lines: [{ sku: 'PREVIEW-1', quantity: 1 }] });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ ruleId: 'warehouses', shipments: [{ locationId: 'wh-west' }], destination: { geoSource: 'postal_centroid' } });
    const inline = await api('POST', '/v1/routing/preview', {
      shippingAddress: BOSTON,
      lines: [{ sku: 'PREVIEW-1', quantity: 2 }],
      ruleSet: { rules: [{ ruleId: 'one-box', split: { policy: 'never' }, whenShort: { action: 'hold' } }] },
    });
    expect(inline.body).toMatchObject({ ruleId: 'one-box', outcome: 'held', action: 'hold' });
    expect(((await api('GET', '/v1/inventory/PREVIEW-1')).body as { total: Json }).total).toMatchObject({ reserved: 0 });

    const never = await api('PUT', '/v1/routing-rules/web-store', { rules: [{ ruleId: 'nowhere', filters: { locationIds: ['no-such-place'] } }] });
    expect(never.status).toBe(422);
    expect(never.body.error?.message).toContain('can never allocate');
    expect(never.body.error?.details.map((d) => d.path)).toEqual(['rules', 'rules.0.filters']);
    const bad = await api('PUT', '/v1/routing-rules/web-store', { rules: [{ ruleId: 'Bad Id', sort: ['nearest'] }], carrier: { strategy: 'fixed' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error?.details.map((d) => d.path)).toEqual(expect.arrayContaining(['rules.0.ruleId', 'rules.0.sort.0', 'carrier.carrierId']));
    expect((await api('GET', '/v1/routing-rules/nope')).status).toBe(404);
    expect((await api('GET', '/v1/routing-rules/default')).body).toMatchObject({ ruleSetId: 'default', version: 1 });

    expect((await api('POST', '/v1/fulfillments/01ARZ3NDEKTSV4RRFFQ69G5FAV-F1/events', { type: 'accepted' })).status).toBe(404);
    expect((await api('POST', '/v1/fulfillments/not-an-id/events', { type: 'accepted' })).status).toBe(404);
    expect((await api('POST', '/v1/fulfillments/01ARZ3NDEKTSV4RRFFQ69G5FAV-F1/events', { type: 'rejected' })).body.error?.details.map((d) => d.path)).toEqual(['reason']);
    expect((await api('POST', '/v1/fulfillments/01ARZ3NDEKTSV4RRFFQ69G5FAV-F1/events', '{not json')).status).toBe(400);

    const forged = await carrierWebhook('parcelco', { trackingNumber: 'PC000000000001', status: 'delivered', occurredAt: new Date().toISOString() }, 'wrong-secret');
    expect(forged.status).toBe(401);
    expect((await forged.json()) as Json).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await carrierWebhook('parcelco', { trackingNumber: 'PC000000000001', status: 'delivered', occurredAt: new Date().toISOString() })).status).toBe(404);
    expect((await carrierWebhook('parcelco', { trackingNumber: 'PC1', status: 'teleported', occurredAt: 'yesterday' })).status).toBe(422);
    expect((await carrierWebhook('nocarrier', { trackingNumber: 'X', status: 'delivered', occurredAt: new Date().toISOString() })).status).toBe(404);
    expect((await api('GET', '/v1/invoices/INV-999999')).status).toBe(404);
    expect((await api('GET', '/v1/notifications?orderId=01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);
  });
});
