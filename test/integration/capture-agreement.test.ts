import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { hmacBase64 } from '#shared/channels/signatures.ts';
import { ChannelInput, applyChannelInput } from '#shared/domain/channel.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { Order } from '#shared/domain/order.ts';
import type { MarketplacePage } from '#shared/ports.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { DynamoChannelSyncRepository } from '#shared/store/channel-sync-repository.ts';
import { DynamoInboxRepository } from '#shared/store/inbox-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { captureDelivery } from '#shared/use-cases/capture-delivery.ts';
import { pollChannel } from '#shared/use-cases/poll-channel.ts';
import { bodyDigestKey } from '#shared/use-cases/receive-webhook.ts';
import { apiEvent, call } from '../support/api-events.ts';
import { fixture, fixtureText } from '../support/channel-fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * What the OMS acknowledges, it captures. A webhook answered 2xx (or a polled
 * order stored) is captured by the very code the capture Lambda runs
 * (captureDelivery on DynamoDB Local): texts beyond the OMS's limits are cut
 * with a warning, and what cannot be an order is refused with a 422 before
 * anything is stored. The property runs on real-shaped payloads — the channel
 * fixtures with field lengths, Unicode, numbers and optional fields mutated.
 */
let db: DynamoDBDocumentClient;
let tableName: string;
let handler: unknown;
let inbox: DynamoInboxRepository;
let orders: DynamoOrderRepository;
let channels: DynamoChannelRepository;
let sync: DynamoChannelSyncRepository;
const SECRET = 'agreement-secret-0123456789abcdef0123';

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  channels = new DynamoChannelRepository(db, tableName);
  inbox = new DynamoInboxRepository(db, tableName);
  orders = new DynamoOrderRepository(db, tableName);
  sync = new DynamoChannelSyncRepository(db, tableName);
  for (const [channelId, body] of [
    ['shopify-ag', { type: 'shopify', name: 'S', settings: { shopDomain: 'ag.myshopify.com' }, secrets: { webhookSecret: SECRET } }],
    ['woo-ag', { type: 'woocommerce', name: 'W', settings: { storeUrl: 'https://ag.example' }, secrets: { webhookSecret: SECRET } }],
    ['amazon-ag', { type: 'amazon', name: 'A', settings: { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn1.application-oa2-client.ag' }, secrets: { clientSecret: 'x', refreshToken: 'Atzr|x' } }],
    ['ebay-ag', { type: 'ebay', name: 'E', settings: { clientId: 'Acme-OMS-PRD-ag' }, secrets: { clientSecret: 'x', refreshToken: 'v^1.1#x' } }],
  ] as const) {
    const { channel, secrets } = applyChannelInput(undefined, channelId, ChannelInput.parse(body), new Date());
    await channels.save(channel, secrets, { expectedVersion: null, events: [] });
  }
  handler = (await import('#functions/webhooks/receive-webhook.ts')).handler;
});

function post(channelId: string, body: string, headers: Record<string, string>) {
  const event = apiEvent({ method: 'POST', path: `/webhooks/${channelId}`, routeKey: 'POST /webhooks/{channelId}', pathParameters: { channelId }, headers, body });
  // The helper defaults to JSON; a request that names no Content-Type sends none.
  if (!('content-type' in headers)) delete event.headers['content-type'];
  return call(handler, event);
}

const shopifyHeaders = (body: string, deliveryId: string) => ({
  'content-type': 'application/json',
  'x-shopify-topic': 'orders/create',
  'x-shopify-shop-domain': 'ag.myshopify.com',
  'x-shopify-webhook-id': deliveryId,
  'x-shopify-hmac-sha256': hmacBase64(body, SECRET),
});
const wooHeaders = (body: string, deliveryId: string) => ({
  'content-type': 'application/json',
  'x-wc-webhook-topic': 'order.created',
  'x-wc-webhook-delivery-id': deliveryId,
  'x-wc-webhook-signature': hmacBase64(body, SECRET),
});

describe('WooCommerce ping on saving a webhook', () => {
  const ping = fixture<{ request: { headers: Record<string, string>; raw_body: string }; expected_response: { status: number } }>('woocommerce-webhook-ping.json');
  const pingHeaders = Object.fromEntries(Object.entries(ping.request.headers).map(([name, value]) => [name.toLowerCase(), value]));

  it('answers the unsigned webhook_id ping 200 (as WooCommerce requires) and stores nothing', async () => {
    const before = await allItems(db, tableName);
    const response = await post('woo-ag', ping.request.raw_body, pingHeaders);
    expect(response.status).toBe(ping.expected_response.status);
    expect(response.body).toEqual({ outcome: 'ping' });
    // Without a Content-Type too (the WordPress transport may leave it out).
    expect((await post('woo-ag', 'webhook_id=7', { 'user-agent': pingHeaders['user-agent'] as string })).status).toBe(200);
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it.each([
    ['a JSON order', fixtureText('woocommerce-order-created.json'), { 'content-type': 'application/json' }],
    ['a JSON body naming a webhook', '{"webhook_id":42}', { 'content-type': 'application/json' }],
    ['the ping body sent as JSON', 'webhook_id=42', { 'content-type': 'application/json' }],
    ['a form body with other fields', 'webhook_id=42&status=active', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a form body with another field only', 'order_id=42', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a webhook id that is not a number', 'webhook_id=42abc', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['the ping body with a delivery header', 'webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-topic': 'order.created' }],
    ['the ping body with a bad signature', 'webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded', 'x-wc-webhook-signature': hmacBase64('webhook_id=42', 'not-the-secret') }],
    ['an order with WooCommerce headers and no signature', fixtureText('woocommerce-order-created.json'), { 'x-wc-webhook-topic': 'order.created', 'x-wc-webhook-delivery-id': 'x-1' }],
  ])('still refuses anything else unsigned: %s → 401, nothing stored', async (_case, body, headers: Record<string, string>) => {
    const before = await allItems(db, tableName);
    const response = await post('woo-ag', body, { 'user-agent': 'WooCommerce/10.3.0 Hookshot (WordPress/6.8.3)', ...headers });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('is the WooCommerce adapter\'s: the same body unsigned on a Shopify channel is a 401', async () => {
    expect((await post('shopify-ag', 'webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(401);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a channel payload, edited field by field
type Payload = Record<string, any>;

describe('a real-shaped Shopify order with a long note, a 150-character city or a large quantity', () => {
  const base = fixture<Record<string, unknown>>('shopify-orders-create.json');

  it('is acknowledged and captured, with the texts cut to the OMS\'s limits and a field_truncated warning each', async () => {
    const order = structuredClone(base) as Payload;
    order['id'] = 990000000001;
    order['note'] = 'Please ring twice.'.repeat(400); // 7,200 characters
    order['shipping_address']['city'] = 'Llanfairpwllgwyngyll'.repeat(8).slice(0, 150);
    order['line_items'][0]['title'] = `${'Ceramic mug — hand thrown, 350 ml 🍵 '.repeat(20)}`;
    const body = JSON.stringify(order);
    const response = await post('shopify-ag', body, shopifyHeaders(body, 'agree-long-1'));
    expect(response).toMatchObject({ status: 200, body: { outcome: 'stored' } });
    // A channel webhook's inbox item is keyed by its body's digest (a replay under a new delivery id is a duplicate).
    const result = await captureDelivery({ inbox, orders, clock: systemClock }, keys.inboxDelivery('shopify-ag', bodyDigestKey(body)));
    expect(result.outcome).toBe('created');
    const captured = Order.parse(await orders.get(result.orderId as string));
    expect(captured.notes).toHaveLength(5000);
    expect(captured.shippingAddress?.city).toBe((order['shipping_address']['city'] as string).slice(0, 100));
    expect(captured.lines[0]?.title.length).toBeLessThanOrEqual(500);
    expect(captured.lines[0]?.title).not.toMatch(/[\ud800-\udbff]$/); // never half an emoji
    const truncated = captured.warnings.filter((w) => w.code === 'field_truncated').map((w) => w.details);
    expect(truncated).toEqual(
      expect.arrayContaining([
        { field: 'notes', originalLength: 7200, keptLength: 5000 },
        { field: 'shippingAddress.city', originalLength: 150, keptLength: 100 },
        expect.objectContaining({ field: 'lines.0.title', originalLength: expect.any(Number) }),
      ]),
    );
    // Each warning is said on the timeline too.
    const timeline = await orders.timeline(captured.orderId, { limit: 50 });
    expect(timeline.items.filter((e) => e.type === 'warning' && e.data?.['code'] === 'field_truncated')).toHaveLength(3);
  });

  it('is refused before it is acknowledged when a line holds more than 100,000 units: 422 naming the field, nothing stored', async () => {
    const order = structuredClone(base) as Payload;
    order['id'] = 990000000002;
    order['line_items'][0]['quantity'] = 250_000;
    const body = JSON.stringify(order);
    const before = await allItems(db, tableName);
    const response = await post('shopify-ag', body, shopifyHeaders(body, 'agree-qty-1'));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: { code: 'validation_failed', details: [expect.objectContaining({ path: 'line_items.0.quantity', message: expect.stringContaining('100,000') })] } });
    expect(await allItems(db, tableName)).toEqual(before);
  });
});

// ---------------------------------------------------------------------------
// The property: acknowledged ⇒ captured, on mutated real payloads.

type Json = Record<string, unknown>;
type Mutation = { kind: 'set'; path: string; value: unknown } | { kind: 'delete'; path: string };

/** Text as channels send it: ordinary, any Unicode (emoji, combining marks, other scripts), around and far beyond the limits, empty or null. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), fc.integer({ min: 15, max: 7000 })).map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 400 }) },
  // Half an emoji: JSON can carry a lone surrogate (`"\ud83d"`), UTF-8 (and so DynamoDB) cannot.
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.integer({ min: 0xd800, max: 0xdfff })).map(([around, unit]) => `${around}${String.fromCharCode(unit)}${around}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', null) },
);
/** Decimal amounts: ordinary, with more decimals than the currency, negative, huge. */
const decimal = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 999 }), fc.stringMatching(/^\d{3,12}$/)).map(([whole, fraction]) => `${whole}.${fraction}`) },
  { weight: 1, arbitrary: fc.integer({ min: -9999, max: -1 }).map((n) => `${n}.00`) },
  { weight: 1, arbitrary: fc.bigInt({ min: 10n ** 9n, max: 10n ** 20n }).map((n) => `${n}.00`) },
);
const quantity = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }) });

function mutations(spec: { texts: string[]; decimals: string[]; quantities: string[]; optional: string[]; extra?: fc.Arbitrary<Mutation>[] }): fc.Arbitrary<Mutation[]> {
  const set = (paths: string[], value: fc.Arbitrary<unknown>) => fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...paths), value });
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: set(spec.texts, text) },
      { weight: 2, arbitrary: set(spec.decimals, decimal) },
      { weight: 2, arbitrary: set(spec.quantities, quantity) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...spec.optional) }) },
      ...(spec.extra ?? []).map((arbitrary) => ({ weight: 1, arbitrary })),
    ),
    { minLength: 1, maxLength: 10 },
  );
}

function apply(document: Json, changes: Mutation[]): Json {
  const copy = structuredClone(document);
  for (const change of changes) {
    const segments = change.path.split('.');
    const last = segments.pop() as string;
    const parent = segments.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined), copy);
    if (parent === null || typeof parent !== 'object') continue;
    if (change.kind === 'delete') Reflect.deleteProperty(parent, last);
    else (parent as Json)[last] = change.value;
  }
  return copy;
}

const address = (prefix: string, fields: string[]) => fields.map((field) => `${prefix}.${field}`);
let sequence = 0;
const nextId = () => 880_000_000_000 + ++sequence;

/** Every case: acknowledged ⇒ captured (and readable as an Order); refused ⇒ a 422 and nothing of it stored. */
interface Tally {
  captured: number;
  refused: number;
}

/** `deliveryKey`: what the inbox item is keyed by (a poll's delivery id; a webhook body's digest). */
async function checkCaptured(channelId: string, deliveryKey: string, externalOrderId: string, tally: Tally) {
  const result = await captureDelivery({ inbox, orders, clock: systemClock }, keys.inboxDelivery(channelId, deliveryKey));
  expect(result.outcome).toBe('created');
  const order = Order.parse(await orders.get(result.orderId as string));
  expect(order.channel.externalOrderId).toBe(externalOrderId);
  tally.captured++;
}

async function checkNothingStored(channelId: string, deliveryKey: string, externalOrderId: string, tally: Tally) {
  expect(await inbox.get(keys.inboxDelivery(channelId, deliveryKey))).toBeUndefined();
  expect(await orders.findByChannelRef(channelId, externalOrderId)).toBeUndefined();
  tally.refused++;
}

describe('acknowledged ⇒ captured (property, real-shaped payloads)', () => {
  it('Shopify webhooks: every 200 is captured, every refusal is a 422 that stores nothing', async () => {
    const base = fixture<Json>('shopify-orders-create.json');
    const addressFields = ['first_name', 'last_name', 'company', 'address1', 'address2', 'city', 'province_code', 'zip', 'phone'];
    const changes = mutations({
      texts: ['note', 'email', 'phone', 'name', 'customer.first_name', 'customer.last_name', 'customer.email', 'customer.phone', ...address('shipping_address', addressFields), ...address('billing_address', addressFields), 'line_items.0.title', 'line_items.0.variant_title', 'line_items.1.title', 'shipping_lines.0.title', 'shipping_lines.0.code', 'payment_gateway_names.0', 'financial_status', 'source_name'],
      decimals: ['line_items.0.price', 'line_items.1.price', 'line_items.0.tax_lines.0.price', 'total_price', 'total_tax', 'total_discounts', 'shipping_lines.0.price'],
      quantities: ['line_items.0.quantity', 'line_items.1.quantity'],
      optional: ['shipping_address', 'billing_address', 'customer', 'note', 'email', 'phone', 'name', 'updated_at', 'shipping_lines', 'line_items.0.tax_lines', 'line_items.0.discount_allocations', 'line_items.0.variant_title', 'payment_gateway_names', 'financial_status'],
      extra: [
        fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom('shipping_address.latitude', 'shipping_address.longitude'), value: fc.double({ min: -400, max: 400, noNaN: true }) }),
        fc.record({ kind: fc.constant('set' as const), path: fc.constant('shipping_address.country_code'), value: fc.constantFrom('us', 'De', 'GB', 'U1', 'USA') }),
      ],
    });
    const tally: Tally = { captured: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(changes, async (mutation) => {
        const id = nextId();
        const body = JSON.stringify({ ...apply(base, mutation), id });
        const deliveryId = `shopify-prop-${id}`;
        const response = await post('shopify-ag', body, shopifyHeaders(body, deliveryId));
        if (response.status === 200) await checkCaptured('shopify-ag', bodyDigestKey(body), String(id), tally);
        else {
          expect(response.status, JSON.stringify(response.body)).toBe(422);
          await checkNothingStored('shopify-ag', bodyDigestKey(body), String(id), tally);
        }
      }),
      { numRuns: 150 },
    );
    // The property means something only if most real-shaped orders get through.
    expect(tally.captured).toBeGreaterThan(tally.refused);
  });

  it('WooCommerce webhooks: every 200 is captured, every refusal is a 422 that stores nothing', async () => {
    const base = fixture<Json>('woocommerce-order-created.json');
    const addressFields = ['first_name', 'last_name', 'company', 'address_1', 'address_2', 'city', 'state', 'postcode', 'phone'];
    const changes = mutations({
      texts: ['customer_note', ...address('billing', [...addressFields, 'email']), ...address('shipping', addressFields), 'line_items.0.name', 'shipping_lines.0.method_title', 'shipping_lines.0.method_id', 'payment_method', 'payment_method_title', 'transaction_id', 'number'],
      decimals: ['line_items.0.subtotal', 'line_items.0.total', 'line_items.0.total_tax', 'total', 'total_tax', 'shipping_total', 'discount_total', 'shipping_lines.0.total'],
      quantities: ['line_items.0.quantity'],
      optional: ['shipping', 'billing', 'customer_note', 'shipping_lines', 'date_modified_gmt', 'number', 'transaction_id', 'date_paid_gmt', 'payment_method_title'],
      extra: [fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom('shipping.country', 'billing.country'), value: fc.constantFrom('de', 'AT', '', 'Germany', null) })],
    });
    const tally: Tally = { captured: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(changes, async (mutation) => {
        const id = nextId();
        const body = JSON.stringify({ ...apply(base, mutation), id });
        const deliveryId = `woo-prop-${id}`;
        const response = await post('woo-ag', body, wooHeaders(body, deliveryId));
        if (response.status === 200) await checkCaptured('woo-ag', bodyDigestKey(body), String(id), tally);
        else {
          expect(response.status, JSON.stringify(response.body)).toBe(422);
          await checkNothingStored('woo-ag', bodyDigestKey(body), String(id), tally);
        }
      }),
      { numRuns: 100 },
    );
    expect(tally.captured).toBeGreaterThan(tally.refused);
  });

  /** A poll of one page holding one generated order: pollChannel decides what it stores, captureDelivery captures it. */
  async function pollOne(channelId: string, externalOrderId: string, body: string) {
    const updatedAt = new Date().toISOString();
    const page: MarketplacePage = { orders: [{ externalOrderId, updatedAt, body }] };
    await sync.saveState(channelId, { windowFrom: '2026-01-01T00:00:00.000Z' });
    const summary = await pollChannel(
      { channels, sync, inbox, clock: systemClock, marketplaceFor: () => ({ page: () => Promise.resolve(page) }) },
      { channelId, trigger: 'manual', owner: `prop-${externalOrderId}`, deadline: Date.now() + 60_000 },
    );
    return { summary, deliveryId: `poll:${externalOrderId}:${updatedAt}` };
  }

  it('Amazon polls: every stored order is captured, every other one is refused in the poll\'s summary and not stored', async () => {
    const order = fixture<{ payload: { Orders: Json[] } }>('amazon-spapi-getOrders.json').payload.Orders[0] as Json;
    const items = fixture<{ payload: { OrderItems: Json[] } }>('amazon-spapi-getOrderItems.json').payload.OrderItems;
    const base = { order, items };
    const shipTo = ['Name', 'AddressLine1', 'AddressLine2', 'AddressLine3', 'City', 'StateOrRegion', 'PostalCode', 'Phone'];
    const changes = mutations({
      texts: [...address('order.ShippingAddress', shipTo), 'order.BuyerInfo.BuyerEmail', 'order.BuyerInfo.BuyerName', 'order.ShipServiceLevel', 'order.ShipmentServiceLevelCategory', 'order.PaymentMethod', 'items.0.Title'],
      decimals: ['items.0.ItemPrice.Amount', 'items.0.ItemTax.Amount', 'items.0.ShippingPrice.Amount', 'order.OrderTotal.Amount'],
      quantities: ['items.0.QuantityOrdered'],
      optional: ['order.ShippingAddress', 'order.BuyerInfo', 'order.OrderTotal', 'items.0.ItemTax', 'items.0.Title', 'order.ShipServiceLevel'],
      extra: [fc.record({ kind: fc.constant('set' as const), path: fc.constant('items.0.QuantityOrdered'), value: fc.constant(0) })],
    });
    const tally: Tally = { captured: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(changes, async (mutation) => {
        const id = `113-${String(nextId()).slice(-7)}-${String(sequence).padStart(7, '0')}`;
        const changed = apply(base, mutation) as { order: Json; items: Json[] };
        const body = JSON.stringify({ order: { ...changed.order, AmazonOrderId: id }, items: changed.items });
        const { summary, deliveryId } = await pollOne('amazon-ag', id, body);
        if ('stored' in summary && summary.stored === 1) await checkCaptured('amazon-ag', deliveryId, id, tally);
        else {
          expect(summary).toMatchObject({ refused: 1, refusals: [{ externalOrderId: id, problems: expect.arrayContaining([expect.any(String)]) }] });
          await checkNothingStored('amazon-ag', deliveryId, id, tally);
        }
      }),
      { numRuns: 60 },
    );
    expect(tally.captured).toBeGreaterThan(tally.refused);
  });

  it('eBay polls: every stored order is captured, every other one is refused in the poll\'s summary and not stored', async () => {
    const base = fixture<{ orders: Json[] }>('ebay-getOrders.json').orders[0] as Json;
    const step = 'fulfillmentStartInstructions.0.shippingStep';
    const changes = mutations({
      texts: ['buyer.username', 'buyer.buyerRegistrationAddress.fullName', 'buyer.buyerRegistrationAddress.email', `${step}.shipTo.fullName`, `${step}.shipTo.email`, `${step}.shipTo.primaryPhone.phoneNumber`, ...address(`${step}.shipTo.contactAddress`, ['addressLine1', 'addressLine2', 'city', 'stateOrProvince', 'postalCode']), `${step}.shippingCarrierCode`, `${step}.shippingServiceCode`, 'lineItems.0.title', 'legacyOrderId'],
      decimals: ['lineItems.0.lineItemCost.value', 'pricingSummary.total.value', 'pricingSummary.deliveryCost.value', 'pricingSummary.priceSubtotal.value'],
      quantities: ['lineItems.0.quantity'],
      optional: ['buyer', 'fulfillmentStartInstructions', 'lineItems.0.taxes', 'lineItems.0.title', 'legacyOrderId', `${step}.shipTo.primaryPhone`],
    });
    const tally: Tally = { captured: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(changes, async (mutation) => {
        const id = `12-${nextId()}`;
        const body = JSON.stringify({ ...apply(base, mutation), orderId: id });
        const { summary, deliveryId } = await pollOne('ebay-ag', id, body);
        if ('stored' in summary && summary.stored === 1) await checkCaptured('ebay-ag', deliveryId, id, tally);
        else {
          expect(summary).toMatchObject({ refused: 1, refusals: [{ externalOrderId: id, problems: expect.arrayContaining([expect.any(String)]) }] });
          await checkNothingStored('ebay-ag', deliveryId, id, tally);
        }
      }),
      { numRuns: 60 },
    );
    expect(tally.captured).toBeGreaterThan(tally.refused);
  });
});
