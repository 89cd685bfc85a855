import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startOms, type RunningOms } from '#infra/local/runtime.ts';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { carrierName } from '#shared/domain/channel-writeback.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { fakeAmazon, fakeEbay, type FakeMarketplace } from '../support/fake-marketplaces.ts';
import { fakeAmazonWriteback, fakeEbayWriteback, fakeShopifyWriteback, fakeWooWriteback } from '../support/fake-writeback.ts';
import { locationBody, must } from '../support/fixtures.ts';

/**
 * Channel write-back end to end in the running local OMS: one order from each
 * channel, captured the way that channel really delivers it (signed Shopify
 * and WooCommerce webhooks, Amazon and eBay polls), routed, labelled and
 * shipped through the API; the channel's write-back fake (which checks the
 * documented request shapes) receives exactly one confirmation per shipment
 * with the OMS label's tracking number and the channel's own line ids, even
 * when the events are delivered again. A cancellation made in the OMS and a
 * refund owed at the channel reach the channel; a cancellation that came from
 * the channel is not sent back; a confirmation the channel refuses is failed,
 * listed, and sent once by a person's retry.
 */
type Json = Record<string, unknown>;
type Reply = { status: number; body: Json & { error?: { code: string; message: string }; items?: Json[] }; text: string };
type Parcel = Json & { fulfillmentId: string; locationId: string; lines: { sku: string; quantity: number }[]; carrier: { carrierId: string; trackingNumber: string; trackingUrl?: string } };
type SyncRecord = Json & { actionId: string; status: string; reference?: string; lastError?: { message: string; status?: number; retryable: boolean } };

const SHOPIFY_SECRET = 'shpss_writeback_e2e_0123456789abcdef0123';
const SHOPIFY_TOKEN = 'shpat_writeback_e2e';
const WOO_SECRET = 'woo_writeback_e2e_0123456789abcdef01234';
const WOO_KEY = { consumerKey: 'ck_writeback_e2e', consumerSecret: 'cs_writeback_e2e' };

let oms: RunningOms;
let shopify: Awaited<ReturnType<typeof fakeShopifyWriteback>>;
let woo: Awaited<ReturnType<typeof fakeWooWriteback>>;
let amazonPoll: FakeMarketplace;
let amazon: Awaited<ReturnType<typeof fakeAmazonWriteback>>;
let ebayPoll: FakeMarketplace;
let ebay: Awaited<ReturnType<typeof fakeEbayWriteback>>;

/** Fresh Shopify orders made from the orders/create fixture: its tee (×2) and mug (×1) lines under new ids. */
const SHOPIFY = {
  split: { id: '5821334507001', tee: '14522334470011', mug: '14522334470012' },
  cancelledHere: { id: '5821334507002', tee: '14522334470021', mug: '14522334470022' },
  cancelledThere: { id: '5821334507003', tee: '14522334470031', mug: '14522334470032' },
};
function shopifyOrder(ids: { id: string; tee: string; mug: string }, extra: Json = {}): Json {
  const original = fixture<Json & { line_items: Json[] }>('shopify-orders-create.json');
  const [tee, mug] = original.line_items;
  return {
    ...original,
    id: Number(ids.id),
    admin_graphql_api_id: `gid://shopify/Order/${ids.id}`,
    name: `#${ids.id.slice(-4)}`,
    line_items: [
      { ...tee, id: Number(ids.tee) },
      { ...mug, id: Number(ids.mug) },
    ],
    ...extra,
  };
}
/**
 * The WooCommerce fixture under a new id, with its money figures made to agree:
 * the fixture's own total_tax (8.75) and total (54.80) disagree with its
 * lines (41.18 + 7.82 tax) and shipping line (4.12 + 0.78 tax), so as is it
 * is held for money review by design. Here they add up (53.90), so the order
 * is reserved and shipped like any other.
 */
const WOO_ORDER_ID = 7501;
const WOO_LINE_ID = 9011;
const wooOrder = (): Json => {
  const original = fixture<Json & { line_items: Json[] }>('woocommerce-order-created.json');
  return {
    ...original,
    id: WOO_ORDER_ID,
    number: String(WOO_ORDER_ID),
    order_key: 'wc_order_writeback_e2e',
    shipping_total: '4.12',
    total_tax: '8.60',
    total: '53.90',
    line_items: original.line_items.map((line) => ({ ...line, id: WOO_LINE_ID })),
  };
};
const amazonOrder = fixture<{ payload: { Orders: Json[] } }>('amazon-spapi-getOrders.json').payload.Orders[0] as Json;
const amazonItems = fixture<{ payload: { OrderItems: Json[] } }>('amazon-spapi-getOrderItems.json').payload.OrderItems;
const ebayOrder = fixture<{ orders: Json[] }>('ebay-getOrders.json').orders[0] as Json & { orderId: string; lineItems: { lineItemId: string }[] };
const AMAZON_ID = String(amazonOrder['AmazonOrderId']);
const AMAZON_ITEM = String(amazonItems[0]?.['OrderItemId']);
const EBAY_LINE = must(ebayOrder.lineItems[0]).lineItemId;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${oms.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${oms.apiToken}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : {}) as Reply['body'], text };
}

function shopifyWebhook(order: Json, topic = 'orders/create'): Promise<Response> {
  const body = JSON.stringify(order);
  return fetch(`${oms.url}/webhooks/shopify-us`, {
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
}

function wooWebhook(order: Json): Promise<Response> {
  const body = JSON.stringify(order);
  return fetch(`${oms.url}/webhooks/woo-de`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-delivery-id': randomUUID(), 'x-wc-webhook-signature': hmacBase64(body, WOO_SECRET) },
    body,
  });
}

async function orderIdOf(channelId: string, externalOrderId: string | number): Promise<string> {
  const reply = await api('GET', `/v1/channels/${channelId}/orders/${externalOrderId}`);
  expect(reply.status, `${channelId} order ${externalOrderId}: ${reply.text}`).toBe(200);
  return String(reply.body['orderId']);
}
const order = async (orderId: string) => (await api('GET', `/v1/orders/${orderId}`)).body;
const parcels = async (orderId: string) => ((await api('GET', `/v1/fulfillments?orderId=${orderId}`)).body.items ?? []) as Parcel[];
const channelSync = async (orderId: string) => {
  const reply = await api('GET', `/v1/orders/${orderId}/channel-sync`);
  expect(reply.status, reply.text).toBe(200);
  return (reply.body.items ?? []) as SyncRecord[];
};
const timeline = async (orderId: string) => ((await api('GET', `/v1/orders/${orderId}/timeline?limit=100`)).body.items ?? []) as (Json & { type: string; data?: Json })[];
const failedOrders = async () => ((await api('GET', '/v1/orders?channelSync=failed')).body.items ?? []).map((o) => String(o['orderId']));
const eventsOf = (type: string, orderId: string) => oms.events.list().filter((e) => e['detail-type'] === type && JSON.stringify(e.detail).includes(orderId));

async function ship(fulfillmentId: string): Promise<void> {
  for (const type of ['accepted', 'picked', 'packed', 'shipped']) {
    const reply = await api('POST', `/v1/fulfillments/${fulfillmentId}/events`, { type });
    expect(reply.status, reply.text).toBe(200);
    await oms.settle();
  }
}

/** Every call each write-back fake has received so far. */
const callCounts = () => [shopify, woo, amazon, ebay].map((fake) => fake.requests.length);

const ids: { shopify: string; woo: string; amazon: string; ebay: string } = { shopify: '', woo: '', amazon: '', ebay: '' };

beforeAll(async () => {
  shopify = await fakeShopifyWriteback({
    accessToken: SHOPIFY_TOKEN,
    orders: Object.values(SHOPIFY).map((o) => ({
      id: o.id,
      paid: true,
      lines: [
        { lineItemId: o.tee, sku: 'TEE-ORG-M-BLK', quantity: 2 },
        { lineItemId: o.mug, sku: 'MUG-CER-350', quantity: 1 },
      ],
    })),
  });
  woo = await fakeWooWriteback({ ...WOO_KEY, orders: [{ id: WOO_ORDER_ID, total: '53.90', currency: 'EUR', lines: [{ id: WOO_LINE_ID, quantity: 2 }] }] });
  amazonPoll = await fakeAmazon({ orders: [amazonOrder], items: { [AMAZON_ID]: amazonItems } });
  amazon = await fakeAmazonWriteback({ orders: [{ id: AMAZON_ID, items: [{ orderItemId: AMAZON_ITEM, quantity: Number(amazonItems[0]?.['QuantityOrdered']) }] }] });
  ebayPoll = await fakeEbay({ orders: [ebayOrder] });
  ebay = await fakeEbayWriteback({ orders: [{ id: ebayOrder.orderId, total: '65.50', lines: [{ lineItemId: EBAY_LINE, quantity: 1 }] }] });

  oms = await startOms({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `oms-writeback-${randomUUID()}`,
    apiToken: 'writeback-token-0123456789abcdef',
    logLevel: 'ERROR',
    schedules: false,
    marketplaceRetry: { attempts: 3, baseDelayMs: 5 },
  });
  const locations: [string, Json][] = [
    ['wh-east', locationBody({ name: 'Boston DC' })],
    ['wh-west', locationBody({ name: 'Los Angeles DC', address: { lines: ['1 Alameda St'], city: 'Los Angeles', region: 'CA', postalCode: '90012', country: 'US' }, geo: { lat: 34.05, lon: -118.24 } })],
    ['wh-berlin', locationBody({ name: 'Berlin DC', address: { lines: ['Am Borsigturm 100'], city: 'Berlin', postalCode: '13507', country: 'DE' }, geo: { lat: 52.58, lon: 13.28 } })],
  ];
  for (const [id, body] of locations) expect((await api('PUT', `/v1/locations/${id}`, body)).status).toBe(201);
  const rules = await api('PUT', '/v1/routing-rules/default', {
    description: 'Warehouses, fewest shipments',
    rules: [{ ruleId: 'warehouses', filters: { locationTypes: ['warehouse'] }, sort: ['distance'], split: { policy: 'fewest', maxShipments: 2 }, whenShort: { action: 'backorder' } }],
  });
  expect(rules.status, rules.text).toBe(201);
  // Tees only in Boston, mugs only in Los Angeles: the Shopify order (2 tees, 1 mug) leaves in two parcels.
  const receipts: [string, string, number][] = [
    ['TEE-ORG-M-BLK', 'wh-east', 20],
    ['MUG-CER-350', 'wh-west', 20],
    ['APRON-LIN-NAT', 'wh-berlin', 20],
  ];
  for (const [sku, locationId, quantity] of receipts) {
    expect((await api('POST', '/v1/inventory/movements', { type: 'receipt', movementId: randomUUID(), sku, locationId, quantity })).status).toBe(201);
  }
  const channels: [string, Json][] = [
    [
      'shopify-us',
      {
        type: 'shopify',
        name: 'Acme US',
        settings: { shopDomain: 'acme.myshopify.com', adminUrl: shopify.url },
        secrets: { webhookSecret: SHOPIFY_SECRET, adminAccessToken: SHOPIFY_TOKEN },
      },
    ],
    ['woo-de', { type: 'woocommerce', name: 'Acme DE', settings: { storeUrl: woo.url }, secrets: { webhookSecret: WOO_SECRET, ...WOO_KEY } }],
    [
      'amazon-us',
      {
        type: 'amazon',
        name: 'Amazon US',
        settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn1.application-oa2-client.e2e', endpoint: amazonPoll.url, tokenUrl: `${amazonPoll.url}/auth/o2/token`, pollFrom: '2026-10-01T00:00:00.000Z' },
        secrets: { clientSecret: 'amzn-secret', refreshToken: 'Atzr|refresh' },
      },
    ],
    [
      'ebay-us',
      {
        type: 'ebay',
        name: 'eBay US',
        settings: { clientId: 'ebay-app', endpoint: ebayPoll.url, tokenUrl: `${ebayPoll.url}/identity/v1/oauth2/token`, pollFrom: '2026-10-01T00:00:00.000Z' },
        secrets: { clientSecret: 'ebay-secret', refreshToken: 'v^1.1#refresh' },
      },
    ],
  ];
  for (const [id, body] of channels) {
    const reply = await api('PUT', `/v1/channels/${id}`, body);
    expect(reply.status, reply.text).toBe(201);
  }
  await oms.settle();
}, 120_000);

afterAll(async () => {
  await oms?.stop();
  await Promise.all([shopify, woo, amazonPoll, amazon, ebayPoll, ebay].map((fake) => fake?.close()));
});

describe('channel write-back, end to end in the local runtime', () => {
  it('captures one order per channel the way the channel delivers it, each routed and labelled', async () => {
    expect((await shopifyWebhook(shopifyOrder(SHOPIFY.split))).status).toBe(200);
    expect((await wooWebhook(wooOrder())).status).toBe(200);
    expect((await api('POST', '/v1/channels/amazon-us/sync')).status).toBe(202);
    expect((await api('POST', '/v1/channels/ebay-us/sync')).status).toBe(202);
    await oms.settle();
    ids.shopify = await orderIdOf('shopify-us', SHOPIFY.split.id);
    ids.woo = await orderIdOf('woo-de', WOO_ORDER_ID);
    ids.amazon = await orderIdOf('amazon-us', AMAZON_ID);
    ids.ebay = await orderIdOf('ebay-us', ebayOrder.orderId);
    for (const orderId of Object.values(ids)) expect(await order(orderId), orderId).toMatchObject({ status: 'routed' });

    expect((await parcels(ids.shopify)).map((p) => [p.locationId, p.lines])).toEqual([
      ['wh-east', [{ sku: 'TEE-ORG-M-BLK', quantity: 2 }]],
      ['wh-west', [{ sku: 'MUG-CER-350', quantity: 1 }]],
    ]);
    expect((await parcels(ids.woo)).map((p) => p.locationId)).toEqual(['wh-berlin']);
    expect((await parcels(ids.amazon)).map((p) => p.locationId)).toEqual(['wh-east']);
    expect((await parcels(ids.ebay)).map((p) => p.locationId)).toEqual(['wh-west']);

    // The marketplaces' write-back APIs are served by other fakes than their order polls:
    // the merchant points the channels there (as they would switch from a sandbox to production).
    const amazonSettings = { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn1.application-oa2-client.e2e', endpoint: amazon.url, tokenUrl: `${amazon.url}/auth/o2/token`, sellerId: 'A1FIXTURESELLER0' };
    expect((await api('PUT', '/v1/channels/amazon-us', { type: 'amazon', name: 'Amazon US', settings: amazonSettings })).status).toBe(200);
    const ebaySettings = { clientId: 'ebay-app', endpoint: ebay.url, tokenUrl: `${ebay.url}/identity/v1/oauth2/token` };
    expect((await api('PUT', '/v1/channels/ebay-us', { type: 'ebay', name: 'eBay US', settings: ebaySettings })).status).toBe(200);
    await oms.settle();
    // Nothing has shipped: nothing was told to any channel.
    expect(callCounts()).toEqual([0, 0, 0, 0]);
    for (const orderId of Object.values(ids)) expect(await channelSync(orderId)).toEqual([]);
  });

  it('confirms each shipment to its channel exactly once, with the label\'s tracking number and the channel\'s line ids, also when the events come again', async () => {
    const [east, west] = await parcels(ids.shopify);
    const [berlin] = await parcels(ids.woo);
    const [amazonParcel] = await parcels(ids.amazon);
    await ship(must(east).fulfillmentId);
    await ship(must(west).fulfillmentId);
    await ship(must(berlin).fulfillmentId);
    await ship(must(amazonParcel).fulfillmentId);
    for (const orderId of [ids.shopify, ids.woo, ids.amazon]) expect((await order(orderId))['status']).toBe('shipped');

    // Shopify: one fulfillment per parcel, each with its own lines and tracking.
    const gid = (id: string) => `gid://shopify/LineItem/${id}`;
    expect(shopify.confirmations).toEqual([
      expect.objectContaining({
        orderId: SHOPIFY.split.id,
        company: carrierName(must(east).carrier.carrierId),
        trackingNumber: must(east).carrier.trackingNumber,
        trackingUrl: must(east).carrier.trackingUrl,
        notifyCustomer: true,
        lines: [{ lineItemId: gid(SHOPIFY.split.tee), quantity: 2 }],
      }),
      expect.objectContaining({ orderId: SHOPIFY.split.id, trackingNumber: must(west).carrier.trackingNumber, lines: [{ lineItemId: gid(SHOPIFY.split.mug), quantity: 1 }] }),
    ]);
    expect(must(east).carrier.trackingNumber).not.toBe(must(west).carrier.trackingNumber);
    const shopifySync = await channelSync(ids.shopify);
    expect(shopifySync.map((r) => [r.actionId, r.status, r.reference])).toEqual(
      expect.arrayContaining([
        [`shipment:${must(east).fulfillmentId}`, 'sent', shopify.confirmations[0].fulfillmentId],
        [`shipment:${must(west).fulfillmentId}`, 'sent', shopify.confirmations[1].fulfillmentId],
      ]),
    );
    expect(shopifySync).toHaveLength(2);

    // WooCommerce: one customer note naming the carrier and tracking, and completed with the shipment that completes the order.
    const berlinTracking = must(berlin).carrier.trackingNumber;
    expect(woo.confirmations).toEqual([
      { orderId: WOO_ORDER_ID, note: `Shipped with ${carrierName(must(berlin).carrier.carrierId)}, tracking ${berlinTracking}: ${String(must(berlin).carrier.trackingUrl)}` },
      { orderId: WOO_ORDER_ID, completed: true },
    ]);
    expect(woo.orders.get(WOO_ORDER_ID)?.status).toBe('completed');
    const note = must(woo.orders.get(WOO_ORDER_ID)?.notes[0]);
    expect(await channelSync(ids.woo)).toEqual([expect.objectContaining({ actionId: `shipment:${must(berlin).fulfillmentId}`, status: 'sent', reference: `note:${String(note.id)}` })]);

    // Amazon: one confirmShipment package with the Amazon order item id (the sandbox carriers are not on Amazon's list: Other + their name).
    expect(amazon.confirmations).toEqual([
      expect.objectContaining({
        orderId: AMAZON_ID,
        carrierCode: 'Other',
        carrierName: carrierName(must(amazonParcel).carrier.carrierId),
        trackingNumber: must(amazonParcel).carrier.trackingNumber,
        orderItems: [{ orderItemId: AMAZON_ITEM, quantity: 2 }],
      }),
    ]);
    expect(await channelSync(ids.amazon)).toEqual([
      expect.objectContaining({ actionId: `shipment:${must(amazonParcel).fulfillmentId}`, status: 'sent', reference: `package:${String(amazon.confirmations[0].packageReferenceId)}` }),
    ]);

    for (const orderId of [ids.shopify, ids.woo, ids.amazon]) {
      const synced = (await timeline(orderId)).filter((e) => e.type === 'channel_synced');
      expect(synced.map((e) => e.data?.['actionId']).sort(), orderId).toEqual((await channelSync(orderId)).map((r) => r.actionId).sort());
    }

    // Redelivered ShipmentShipped events find every action sent: no channel is called again.
    const before = callCounts();
    for (const orderId of [ids.shopify, ids.woo, ids.amazon]) {
      const shipped = eventsOf('ShipmentShipped', orderId);
      expect(shipped.length).toBeGreaterThan(0);
      for (const e of shipped) oms.bus.putEvents([{ source: e.source, detailType: 'ShipmentShipped', detail: e.detail }]);
    }
    await oms.settle();
    expect(callCounts()).toEqual(before);
    expect(shopify.confirmations).toHaveLength(2);
    expect(woo.confirmations).toHaveLength(2);
    expect(amazon.confirmations).toHaveLength(1);
    expect(oms.deadLetters.list().filter((d) => /writeBack|writeback/.test(d.target))).toEqual([]);
  });

  it('a confirmation the channel refuses (eBay 401) is failed with eBay\'s answer and listed; a person\'s retry sends it once', async () => {
    const [parcel] = await parcels(ids.ebay);
    const actionId = `shipment:${must(parcel).fulfillmentId}`;
    ebay.failNext(401, 1, /shipping_fulfillment/);
    await ship(must(parcel).fulfillmentId);
    expect((await order(ids.ebay))['status']).toBe('shipped');

    expect(await channelSync(ids.ebay)).toEqual([
      expect.objectContaining({ actionId, status: 'failed', lastError: expect.objectContaining({ status: 401, retryable: false, message: expect.stringContaining('Invalid access token') }) }),
    ]);
    expect(ebay.confirmations).toEqual([]);
    expect(await failedOrders()).toEqual([ids.ebay]);
    expect((await timeline(ids.ebay)).find((e) => e.type === 'channel_sync_failed')).toMatchObject({ data: expect.objectContaining({ actionId, status: 401, retryable: false }) });

    const retried = await api('POST', `/v1/orders/${ids.ebay}/channel-sync/${encodeURIComponent(actionId)}/retry`, {});
    expect(retried.status, retried.text).toBe(202);
    expect(retried.body).toMatchObject({ actionId, status: 'pending' });
    await oms.settle();
    expect(ebay.confirmations).toEqual([
      expect.objectContaining({ orderId: ebayOrder.orderId, lineItems: [{ lineItemId: EBAY_LINE, quantity: 1 }], shipmentTrackingNumber: must(parcel).carrier.trackingNumber, shippingCarrierCode: 'Other' }),
    ]);
    expect(await channelSync(ids.ebay)).toEqual([expect.objectContaining({ actionId, status: 'sent', reference: must(parcel).carrier.trackingNumber })]);
    expect(await failedOrders()).toEqual([]);
    expect((await timeline(ids.ebay)).map((e) => e.type)).toEqual(expect.arrayContaining(['channel_sync_failed', 'channel_sync_retried', 'channel_synced']));
    // Sent now: a second retry is refused, and the event delivered again calls nothing.
    expect((await api('POST', `/v1/orders/${ids.ebay}/channel-sync/${encodeURIComponent(actionId)}/retry`, {})).body.error).toMatchObject({ code: 'not_failed' });
    const before = ebay.requests.length;
    for (const e of eventsOf('ShipmentShipped', ids.ebay)) oms.bus.putEvents([{ source: e.source, detailType: 'ShipmentShipped', detail: e.detail }]);
    await oms.settle();
    expect(ebay.requests.length).toBe(before);
    expect(ebay.confirmations).toHaveLength(1);
  });

  it('a cancellation made in the OMS reaches Shopify as orderCancel; one that came from Shopify is not sent back', async () => {
    expect((await shopifyWebhook(shopifyOrder(SHOPIFY.cancelledHere))).status).toBe(200);
    expect((await shopifyWebhook(shopifyOrder(SHOPIFY.cancelledThere))).status).toBe(200);
    await oms.settle();
    const here = await orderIdOf('shopify-us', SHOPIFY.cancelledHere.id);
    const there = await orderIdOf('shopify-us', SHOPIFY.cancelledThere.id);

    const cancelled = await api('POST', `/v1/orders/${here}/cancel`, { reason: 'customer asked to cancel' });
    expect(cancelled.status, cancelled.text).toBe(200);
    await oms.settle();
    expect(shopify.cancellations).toEqual([{ orderId: SHOPIFY.cancelledHere.id, reason: 'CUSTOMER', refund: true, restock: false, notifyCustomer: true, staffNote: expect.stringContaining('customer asked to cancel') }]);
    expect(await channelSync(here)).toEqual([expect.objectContaining({ actionId: 'cancel', kind: 'cancellation', status: 'sent', reference: expect.stringMatching(/^gid:\/\/shopify\/Job\//) })]);
    // Shopify refunds the payment as it cancels (refundMethod): the OMS sends no refund of its own for it.
    expect(shopify.refunds).toEqual([]);

    // Shopify cancels the other order itself: the OMS applies it and tells Shopify nothing.
    const calls = shopify.requests.length;
    const response = await shopifyWebhook(shopifyOrder(SHOPIFY.cancelledThere, { cancelled_at: '2026-10-14T11:00:00-04:00', updated_at: '2026-10-14T11:00:00-04:00', cancel_reason: 'customer' }), 'orders/cancelled');
    expect(response.status).toBe(200);
    await oms.settle();
    expect((await order(there))['status']).toBe('cancelled');
    expect(eventsOf('OrderCancelled', there).map((e) => (e.detail as { metadata: { actor: string } }).metadata.actor)).toEqual(['channel:shopify-us']);
    expect(shopify.requests.length).toBe(calls);
    expect(shopify.cancellations).toHaveLength(1);
    expect(await channelSync(there)).toEqual([]);
  });

  it('a refund owed at the channel reaches Shopify (refundCreate) and WooCommerce (order refund) in their formats, and each OMS refund becomes refunded with the channel\'s refund id', async () => {
    const created = await api('POST', `/v1/orders/${ids.shopify}/refunds`, { amount: 1500, reason: 'Parcel arrived late' }, { 'idempotency-key': randomUUID() });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ amount: 1500, status: 'to_refund_at_channel', mode: 'channel' });
    const refundId = String(created.body['refundId']);
    await oms.settle();

    expect(shopify.refunds).toEqual([expect.objectContaining({ orderId: SHOPIFY.split.id, amount: '15.00', gateway: 'shopify_payments', lines: [] })]);
    const shopifyRefundId = String(shopify.refunds[0].refundId);
    const [refund] = ((await api('GET', `/v1/orders/${ids.shopify}/refunds`)).body.items ?? []) as Json[];
    expect(refund).toMatchObject({ refundId, status: 'refunded', refundedAtChannel: { reference: shopifyRefundId } });
    expect((await channelSync(ids.shopify)).find((r) => r.actionId === `refund:${refundId}`)).toMatchObject({ kind: 'refund', status: 'sent', reference: shopifyRefundId });
    expect((await timeline(ids.shopify)).filter((e) => e.type === 'channel_synced').map((e) => e.data?.['actionId'])).toContain(`refund:${refundId}`);

    // WooCommerce: the order's refunds endpoint, euros as a decimal string, the gateway pays it back (api_refund), no restock.
    const wooCreated = await api('POST', `/v1/orders/${ids.woo}/refunds`, { amount: 490, reason: 'Shipping refunded: parcel late' }, { 'idempotency-key': randomUUID() });
    expect(wooCreated.status, wooCreated.text).toBe(201);
    const wooRefundId = String(wooCreated.body['refundId']);
    await oms.settle();
    expect(woo.refunds).toEqual([{ orderId: WOO_ORDER_ID, amount: '4.90', reason: expect.stringContaining(`[oms refund:${wooRefundId}]`), apiRefund: true, apiRestock: false, lines: [] }]);
    const wooReference = `refund:${String(must(woo.orders.get(WOO_ORDER_ID)?.refunds[0]).id)}`;
    expect(((await api('GET', `/v1/orders/${ids.woo}/refunds`)).body.items ?? [])[0]).toMatchObject({ refundId: wooRefundId, status: 'refunded', refundedAtChannel: { reference: wooReference } });

    // The refunds' events delivered again refund nothing more.
    const before = callCounts();
    for (const orderId of [ids.shopify, ids.woo]) {
      for (const e of eventsOf('RefundIssued', orderId)) oms.bus.putEvents([{ source: e.source, detailType: 'RefundIssued', detail: e.detail }]);
    }
    await oms.settle();
    expect(callCounts()).toEqual(before);
    expect(shopify.refunds).toHaveLength(1);
    expect(woo.refunds).toHaveLength(1);
  });
});
