import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, ChannelSecrets } from '#shared/domain/channel.ts';
import { WritebackError, type CancellationAction, type ChannelOrderRef, type RefundAction, type ShipmentAction } from '#shared/domain/channel-writeback.ts';
import type { ChannelWriter } from '#shared/ports.ts';
import { fakeAmazonWriteback, fakeEbayWriteback, fakeShopifyWriteback, fakeWooWriteback } from '../support/fake-writeback.ts';

/**
 * The four write-back clients against loopback fakes that check the
 * documented request shapes: one confirmation per shipment with its lines and
 * tracking, the same action twice confirms once, cancellations and refunds
 * with amounts in each channel's format, throttling retried, refusals final
 * with the channel's message, 5xx retryable.
 */
let writerFor: (channel: Channel, secrets: ChannelSecrets) => ChannelWriter;

beforeAll(async () => {
  process.env['OMS_MARKETPLACE_RETRY_BASE_MS'] = '5';
  ({ channelWriterFor: writerFor } = await import('#shared/adapters/channel-writeback.ts'));
});

const channel = (channelId: string, type: Channel['type'], settings: Record<string, unknown>): Channel => ({
  channelId,
  type,
  name: channelId,
  active: true,
  settings,
  secretsConfigured: [],
  version: 1,
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
});
const ref = (channelId: string, channelType: Channel['type'], externalOrderId: string, currency = 'USD'): ChannelOrderRef => ({
  orderId: `oms-${externalOrderId}`,
  channelId,
  channelType,
  externalOrderId,
  currency,
});
const shipment = (order: ChannelOrderRef, shipmentId: string, lines: ShipmentAction['lines'], tracking: string, extra: Partial<ShipmentAction> = {}): ShipmentAction => ({
  kind: 'shipment',
  actionId: `shipment:${shipmentId}`,
  order,
  shipmentId,
  lines,
  carrier: { id: 'easypost:UPS', name: 'UPS' },
  trackingNumber: tracking,
  trackingUrl: `https://www.ups.com/track?tracknum=${tracking}`,
  shippedAt: '2026-11-21T15:04:12.000Z',
  completesOrder: false,
  notifyCustomer: true,
  ...extra,
});
const refund = (order: ChannelOrderRef, refundId: string, amount: number, lines: RefundAction['lines'], shipping = 0, extra: Partial<RefundAction> = {}): RefundAction => ({
  kind: 'refund',
  actionId: `refund:${refundId}`,
  order,
  refundId,
  amount,
  lines,
  shipping,
  reason: 'return',
  restock: false,
  ...extra,
});
const cancellation = (order: ChannelOrderRef, extra: Partial<CancellationAction> = {}): CancellationAction => ({
  kind: 'cancellation',
  actionId: 'cancel',
  order,
  reason: 'out_of_stock',
  paidAtChannel: true,
  ...extra,
});
async function writebackError(promise: Promise<unknown>): Promise<WritebackError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WritebackError);
  return error as WritebackError;
}

describe('Shopify (Admin GraphQL 2026-10)', () => {
  let fake: Awaited<ReturnType<typeof fakeShopifyWriteback>>;
  let writer: ChannelWriter;
  const order = ref('shopify-us', 'shopify', '5821334503521');
  beforeAll(async () => {
    fake = await fakeShopifyWriteback({
      accessToken: 'shpat_test',
      orders: [
        { id: '5821334503521', lines: [{ lineItemId: '14522334455661', sku: 'TEE', quantity: 2 }, { lineItemId: '14522334455662', sku: 'MUG', quantity: 1, fulfillmentOrder: 1 }] },
        { id: '5821334503522', lines: [{ lineItemId: '14522334455670', sku: 'TEE', quantity: 1 }] },
        { id: '5821334503523', lines: [{ lineItemId: '14522334455680', sku: 'TEE', quantity: 3 }] },
      ],
    });
    writer = writerFor(channel('shopify-us', 'shopify', { shopDomain: 'acme.myshopify.com', adminUrl: fake.url }), { webhookSecret: 'shpss_writeback_clients_0123456789abcdef', adminAccessToken: 'shpat_test' });
  });
  afterAll(() => fake.close());

  it('creates one fulfillment per shipment with its lines and tracking, and a repeated shipment finds the first', async () => {
    const first = await writer.send(shipment(order, 'S1', [{ lineId: '14522334455661', sku: 'TEE', quantity: 2 }], '1Z999AA10123456784'));
    const second = await writer.send(shipment(order, 'S2', [{ lineId: '14522334455662', sku: 'MUG', quantity: 1 }], '1Z999AA10123456785', { notifyCustomer: false }));
    const again = await writer.send(shipment(order, 'S1', [{ lineId: '14522334455661', sku: 'TEE', quantity: 2 }], '1Z999AA10123456784'));
    expect(fake.confirmations).toEqual([
      expect.objectContaining({ orderId: '5821334503521', company: 'UPS', trackingNumber: '1Z999AA10123456784', notifyCustomer: true, lines: [{ lineItemId: 'gid://shopify/LineItem/14522334455661', quantity: 2 }] }),
      expect.objectContaining({ trackingNumber: '1Z999AA10123456785', notifyCustomer: false, lines: [{ lineItemId: 'gid://shopify/LineItem/14522334455662', quantity: 1 }] }),
    ]);
    expect(first.reference).toMatch(/^gid:\/\/shopify\/Fulfillment\//);
    expect(second.reference).not.toBe(first.reference);
    expect(again.reference).toBe(first.reference);
  });

  it('refuses a shipment of more than is left to fulfil, naming the line, without creating anything', async () => {
    const error = await writebackError(writer.send(shipment(order, 'S3', [{ lineId: '14522334455661', sku: 'TEE', quantity: 1 }], 'NEW-TRACKING')));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/0 unit\(s\) of line item gid:\/\/shopify\/LineItem\/14522334455661 \(TEE\) left/);
    expect(fake.confirmations).toHaveLength(2);
  });

  it('refunds with @idempotent, NO_RESTOCK, shipping and a transaction on the sale as decimal strings, once', async () => {
    const action = refund(order, 'R1', 3619, [{ lineId: '14522334455661', sku: 'TEE', quantity: 1, amount: 2820, tax: 166 }], 799);
    const first = await writer.send(action);
    const again = await writer.send(action);
    expect(again.reference).toBe(first.reference);
    expect(fake.refunds).toEqual([
      expect.objectContaining({
        orderId: '5821334503521',
        amount: '36.19',
        shipping: '7.99',
        gateway: 'shopify_payments',
        lines: [{ lineItemId: 'gid://shopify/LineItem/14522334455661', quantity: 1, restockType: 'NO_RESTOCK' }],
      }),
    ]);
    expect(fake.refunds[0].idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('cancels the whole order with orderCancel (refund to the original payment, no restock) once', async () => {
    const other = ref('shopify-us', 'shopify', '5821334503522');
    await writer.send(cancellation(other));
    const again = await writer.send(cancellation(other));
    expect(fake.cancellations).toEqual([{ orderId: '5821334503522', reason: 'INVENTORY', refund: true, restock: false, notifyCustomer: true, staffNote: expect.stringContaining('out_of_stock') }]);
    expect(again.note).toMatch(/already cancelled/);
  });

  it('cancels lines with a refund of their units and no money', async () => {
    const third = ref('shopify-us', 'shopify', '5821334503523');
    await writer.send(cancellation(third, { actionId: 'cancel:C1', lines: [{ lineId: '14522334455680', sku: 'TEE', quantity: 1 }] }));
    expect(fake.refunds.at(-1)).toEqual(expect.objectContaining({ orderId: '5821334503523', amount: undefined, lines: [{ lineItemId: 'gid://shopify/LineItem/14522334455680', quantity: 1, restockType: 'NO_RESTOCK' }] }));
  });

  it('waits out THROTTLED and sends again; keeps failing → retryable', async () => {
    fake.failNext(429, 1);
    const third = ref('shopify-us', 'shopify', '5821334503523');
    await writer.send(shipment(third, 'S9', [{ lineId: '14522334455680', sku: 'TEE', quantity: 1 }], 'THROTTLED-1'));
    expect(fake.confirmations.at(-1)).toEqual(expect.objectContaining({ trackingNumber: 'THROTTLED-1' }));
    fake.failNext(429, 3);
    const error = await writebackError(writer.send(shipment(third, 'S10', [{ lineId: '14522334455680', sku: 'TEE', quantity: 1 }], 'THROTTLED-2')));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/throttled/);
  });

  it('401 and 404 are final with the channel message; 500 repeatedly is retryable', async () => {
    fake.failNext(401);
    const revoked = await writebackError(writer.send(shipment(order, 'S4', [{ lineId: '14522334455661', sku: 'TEE', quantity: 1 }], 'X1')));
    expect({ retryable: revoked.retryable, status: revoked.status }).toEqual({ retryable: false, status: 401 });
    expect(revoked.message).toContain('Invalid API key or access token');
    const gone = await writebackError(writer.send(shipment(ref('shopify-us', 'shopify', '1'), 'S5', [{ lineId: '1', sku: 'TEE', quantity: 1 }], 'X2')));
    expect(gone.retryable).toBe(false);
    expect(gone.message).toMatch(/Shopify has no order gid:\/\/shopify\/Order\/1/);
    fake.failNext(500, 3);
    const down = await writebackError(writer.send(shipment(order, 'S6', [{ lineId: '14522334455661', sku: 'TEE', quantity: 1 }], 'X3')));
    expect(down.retryable).toBe(true);
  });
});

describe('WooCommerce (REST v3)', () => {
  let fake: Awaited<ReturnType<typeof fakeWooWriteback>>;
  let writer: ChannelWriter;
  const order = ref('woo-de', 'woocommerce', '7311', 'EUR');
  beforeAll(async () => {
    fake = await fakeWooWriteback({
      consumerKey: 'ck_test',
      consumerSecret: 'cs_test',
      orders: [
        { id: 7311, total: '53.49', lines: [{ id: 901, quantity: 2 }, { id: 902, quantity: 1 }] },
        { id: 7312, total: '24.50', lines: [{ id: 911, quantity: 1 }] },
      ],
    });
    writer = writerFor(channel('woo-de', 'woocommerce', { storeUrl: fake.url }), { webhookSecret: 'woo-writeback-clients-0123456789abcdef', consumerKey: 'ck_test', consumerSecret: 'cs_test' });
  });
  afterAll(() => fake.close());

  it('adds one customer note per shipment, marks the order completed with the last one, and a repeat adds nothing', async () => {
    await writer.send(shipment(order, 'S1', [{ lineId: '901', sku: 'APRON', quantity: 2 }], '00340434161094042557', { carrier: { id: 'dhl', name: 'DHL' } }));
    expect(fake.orders.get(7311)?.status).toBe('processing');
    await writer.send(shipment(order, 'S2', [{ lineId: '902', sku: 'CAP', quantity: 1 }], '00340434161094042558', { carrier: { id: 'dhl', name: 'DHL' }, completesOrder: true }));
    await writer.send(shipment(order, 'S2', [{ lineId: '902', sku: 'CAP', quantity: 1 }], '00340434161094042558', { carrier: { id: 'dhl', name: 'DHL' }, completesOrder: true }));
    expect(fake.confirmations).toEqual([
      { orderId: 7311, note: 'Shipped with DHL, tracking 00340434161094042557: https://www.ups.com/track?tracknum=00340434161094042557' },
      { orderId: 7311, note: expect.stringContaining('00340434161094042558') },
      { orderId: 7311, completed: true },
    ]);
  });

  it('refunds lines with refund_total and refund_tax, api_refund for channel-paid money, api_restock false, once', async () => {
    const action = refund(order, 'R1', 2450, [{ lineId: '901', sku: 'APRON', quantity: 1, amount: 2450, tax: 391 }]);
    await writer.send(action);
    const again = await writer.send(action);
    expect(again.note).toMatch(/already has refund/);
    expect(fake.refunds).toEqual([
      {
        orderId: 7311,
        amount: '24.50',
        reason: expect.stringContaining('[oms refund:R1]'),
        apiRefund: true,
        apiRestock: false,
        lines: [{ id: 901, quantity: 1, refund_total: 20.59, refund_tax: [{ id: 1, refund_total: 3.91 }] }],
      },
    ]);
    await writer.send(refund(order, 'R2', 100, [], 100, { paidAtChannel: false, reason: 'goodwill' }));
    expect(fake.refunds.at(-1)).toEqual(expect.objectContaining({ amount: '1.00', apiRefund: false }));
  });

  it('cancels a channel-paid order: refunds what is left through the gateway, then status cancelled', async () => {
    const other = ref('woo-de', 'woocommerce', '7312', 'EUR');
    await writer.send(cancellation(other));
    const again = await writer.send(cancellation(other));
    expect(again.note).toMatch(/already cancelled/);
    expect(fake.refunds.at(-1)).toEqual(expect.objectContaining({ orderId: 7312, amount: '24.50', apiRefund: true, apiRestock: false }));
    expect(fake.cancellations).toEqual([{ orderId: 7312, refunds: ['24.50'] }]);
  });

  it('retries a 429, and 401/404 are final with WooCommerce\'s message; 500 repeatedly is retryable', async () => {
    fake.failNext(429, 1);
    await writer.send(shipment(order, 'S3', [{ lineId: '901', sku: 'APRON', quantity: 1 }], 'RETRIED-429'));
    expect(fake.confirmations.at(-1)).toEqual(expect.objectContaining({ note: expect.stringContaining('RETRIED-429') }));
    fake.failNext(401);
    const revoked = await writebackError(writer.send(shipment(order, 'S4', [{ lineId: '901', sku: 'APRON', quantity: 1 }], 'X1')));
    expect({ retryable: revoked.retryable, status: revoked.status }).toEqual({ retryable: false, status: 401 });
    expect(revoked.message).toContain('Sorry, you cannot list resources.');
    const gone = await writebackError(writer.send(shipment(ref('woo-de', 'woocommerce', '9999', 'EUR'), 'S5', [{ lineId: '1', sku: 'X', quantity: 1 }], 'X2')));
    expect({ retryable: gone.retryable, status: gone.status, message: gone.message }).toEqual({ retryable: false, status: 404, message: expect.stringContaining('Invalid ID.') });
    fake.failNext(500, 3);
    expect((await writebackError(writer.send(shipment(order, 'S6', [{ lineId: '901', sku: 'APRON', quantity: 1 }], 'X3')))).retryable).toBe(true);
  });

  it('a refund beyond what is left is refused before WooCommerce is asked (it would answer 500)', async () => {
    const posts = fake.requests.filter((r) => r.method === 'POST').length;
    const error = await writebackError(writer.send(refund(order, 'R9', 999_999, [])));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/WooCommerce order 7311 has 27.99 EUR left to refund; the refund is 9999.99 EUR/);
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(posts);
  });
});

describe('Amazon SP-API', () => {
  let fake: Awaited<ReturnType<typeof fakeAmazonWriteback>>;
  let writer: ChannelWriter;
  const order = ref('amazon-us', 'amazon', '113-4829105-2204251');
  beforeAll(async () => {
    fake = await fakeAmazonWriteback({
      orders: [
        { id: '113-4829105-2204251', items: [{ orderItemId: '51234567890123', quantity: 2 }, { orderItemId: '51234567890124', quantity: 1 }] },
        { id: '114-5550012-3344556', items: [{ orderItemId: '62345678901234', quantity: 1 }, { orderItemId: '62345678901235', quantity: 2 }] },
      ],
    });
    writer = writerFor(
      channel('amazon-us', 'amazon', { marketplaceIds: ['ATVPDKIKX0DER'], clientId: 'amzn-client', endpoint: fake.url, tokenUrl: `${fake.url}/auth/o2/token`, sellerId: 'A1FIXTURESELLER0' }),
      { clientSecret: 'secret', refreshToken: 'Atzr|refresh' },
    );
  });
  afterAll(() => fake.close());

  it('confirms one package per shipment with Amazon carrier codes; a repeat edits the same package', async () => {
    await writer.send(shipment(order, 'S1', [{ lineId: '51234567890123', sku: 'A', quantity: 2 }], '1Z999AA10123456785'));
    await writer.send(shipment(order, 'S2', [{ lineId: '51234567890124', sku: 'B', quantity: 1 }], 'PC123', { carrier: { id: 'parcelco', name: 'ParcelCo' } }));
    await writer.send(shipment(order, 'S1', [{ lineId: '51234567890123', sku: 'A', quantity: 2 }], '1Z999AA10123456785'));
    expect(fake.confirmations).toEqual([
      expect.objectContaining({ carrierCode: 'UPS', carrierName: 'UPS', trackingNumber: '1Z999AA10123456785', shipDate: '2026-11-21T15:04:12.000Z', orderItems: [{ orderItemId: '51234567890123', quantity: 2 }] }),
      expect.objectContaining({ carrierCode: 'Other', carrierName: 'ParcelCo', trackingNumber: 'PC123', orderItems: [{ orderItemId: '51234567890124', quantity: 1 }] }),
    ]);
    expect(fake.confirmations[0].packageReferenceId).toMatch(/^[1-9]\d*$/);
    expect(fake.confirmations[0].packageReferenceId).not.toBe(fake.confirmations[1].packageReferenceId);
  });

  it('cancels through the order acknowledgement feed, one CancelReason per item', async () => {
    const other = ref('amazon-us', 'amazon', '114-5550012-3344556');
    const receipt = await writer.send(cancellation(other));
    expect(receipt.reference).toMatch(/^feed:\d+$/);
    expect(fake.cancellations).toEqual([
      {
        feedId: expect.any(String),
        merchantId: 'A1FIXTURESELLER0',
        messageType: 'OrderAcknowledgement',
        orderId: '114-5550012-3344556',
        statusCode: 'Failure',
        items: [
          { orderItemId: '62345678901234', reason: 'NoInventory' },
          { orderItemId: '62345678901235', reason: 'NoInventory' },
        ],
        marketplaceIds: ['ATVPDKIKX0DER'],
      },
    ]);
    await writer.send(cancellation(other, { actionId: 'cancel:C1', reason: 'customer', lines: [{ lineId: '62345678901235', sku: 'B', quantity: 2 }] }));
    expect(fake.cancellations.at(-1).items).toEqual([{ orderItemId: '62345678901235', reason: 'BuyerCanceled' }]);
  });

  it('a refund is not sent: the receipt says to issue it in Seller Central', async () => {
    const calls = fake.requests.length;
    const receipt = await writer.send(refund(order, 'R1', 1000, []));
    expect(receipt.note).toMatch(/Seller Central/);
    expect(receipt.manual).toBe(true);
    expect(fake.requests).toHaveLength(calls);
  });

  it('retries a 429; 400/401/404 are final with Amazon\'s message; 500 repeatedly is retryable', async () => {
    fake.failNext(429, 1, /shipmentConfirmation/);
    await writer.send(shipment(order, 'S1', [{ lineId: '51234567890123', sku: 'A', quantity: 2 }], '1Z999AA10123456785'));
    const tooMany = await writebackError(writer.send(shipment(order, 'S3', [{ lineId: '51234567890123', sku: 'A', quantity: 1 }], 'Z')));
    expect({ retryable: tooMany.retryable, status: tooMany.status }).toEqual({ retryable: false, status: 400 });
    expect(tooMany.message).toMatch(/Invalid quantity for order item 51234567890123/);
    fake.failNext(401, 1, /shipmentConfirmation/);
    const revoked = await writebackError(writer.send(shipment(order, 'S4', [{ lineId: '51234567890124', sku: 'B', quantity: 1 }], 'Z')));
    expect({ retryable: revoked.retryable, status: revoked.status }).toEqual({ retryable: false, status: 401 });
    expect(revoked.message).toContain('Access to requested resource is denied.');
    const gone = await writebackError(writer.send(shipment(ref('amazon-us', 'amazon', '000-0000000-0000000'), 'S5', [{ lineId: '1', sku: 'X', quantity: 1 }], 'Z')));
    expect({ retryable: gone.retryable, status: gone.status }).toEqual({ retryable: false, status: 404 });
    fake.failNext(500, 3, /shipmentConfirmation/);
    expect((await writebackError(writer.send(shipment(order, 'S6', [{ lineId: '51234567890124', sku: 'B', quantity: 1 }], 'Z')))).retryable).toBe(true);
  });
});

describe('eBay Sell Fulfillment', () => {
  let fake: Awaited<ReturnType<typeof fakeEbayWriteback>>;
  let writer: ChannelWriter;
  const order = ref('ebay-us', 'ebay', '12-11223-44556');
  beforeAll(async () => {
    fake = await fakeEbayWriteback({
      orders: [
        { id: '12-11223-44556', total: '125.50', lines: [{ lineItemId: '10055443322101', quantity: 1 }, { lineItemId: '10055443322102', quantity: 2 }] },
        { id: '12-11223-44557', total: '65.50', lines: [{ lineItemId: '10055443322201', quantity: 1 }] },
      ],
    });
    writer = writerFor(channel('ebay-us', 'ebay', { clientId: 'ebay-client', endpoint: fake.url, tokenUrl: `${fake.url}/identity/v1/oauth2/token` }), { clientSecret: 's', refreshToken: 'v^1.1#r' });
  });
  afterAll(() => fake.close());

  it('creates one shipping fulfillment per shipment with eBay carrier codes; a repeat finds the first', async () => {
    const first = await writer.send(shipment(order, 'S1', [{ lineId: '10055443322101', sku: 'A', quantity: 1 }], '9400111899223197428490', { carrier: { id: 'easypost:USPS', name: 'USPS' } }));
    await writer.send(shipment(order, 'S2', [{ lineId: '10055443322102', sku: 'B', quantity: 2 }], 'PC-777', { carrier: { id: 'parcelco', name: 'ParcelCo' } }));
    const again = await writer.send(shipment(order, 'S1', [{ lineId: '10055443322101', sku: 'A', quantity: 1 }], '9400111899223197428490', { carrier: { id: 'easypost:USPS', name: 'USPS' } }));
    expect(fake.confirmations).toEqual([
      expect.objectContaining({ lineItems: [{ lineItemId: '10055443322101', quantity: 1 }], shippingCarrierCode: 'USPS', shipmentTrackingNumber: '9400111899223197428490', shippedDate: '2026-11-21T15:04:12.000Z' }),
      expect.objectContaining({ lineItems: [{ lineItemId: '10055443322102', quantity: 2 }], shippingCarrierCode: 'Other', shipmentTrackingNumber: 'PC-777' }),
    ]);
    expect(first.reference).toBe('9400111899223197428490');
    expect(again.reference).toBe(first.reference);
  });

  it('refunds per line as {value, currency}, or at order level when shipping is part of it, never beyond what is left', async () => {
    await writer.send(refund(order, 'R1', 6000, [{ lineId: '10055443322101', sku: 'A', quantity: 1, amount: 6000, tax: 500 }]));
    await writer.send(refund(order, 'R2', 1550, [{ lineId: '10055443322102', sku: 'B', quantity: 1, amount: 1000, tax: 0 }], 550, { reason: 'goodwill' }));
    expect(fake.refunds).toEqual([
      expect.objectContaining({ reasonForRefund: 'BUYER_RETURN', refundItems: [{ lineItemId: '10055443322101', refundAmount: { value: '60.00', currency: 'USD' } }] }),
      expect.objectContaining({ reasonForRefund: 'OTHER_ADJUSTMENT', orderLevelRefundAmount: { value: '15.50', currency: 'USD' } }),
    ]);
    const tooMuch = await writebackError(writer.send(refund(order, 'R3', 6000, [])));
    expect(tooMuch.retryable).toBe(false);
    expect(tooMuch.message).toMatch(/has 50.00 USD left to refund/);
  });

  it('cancels a paid order with a SELLER_CANCEL refund of what is left, and a repeat sends nothing', async () => {
    const other = ref('ebay-us', 'ebay', '12-11223-44557');
    await writer.send(cancellation(other));
    const again = await writer.send(cancellation(other));
    expect(fake.refunds.at(-1)).toEqual(expect.objectContaining({ orderId: '12-11223-44557', reasonForRefund: 'SELLER_CANCEL', orderLevelRefundAmount: { value: '65.50', currency: 'USD' } }));
    expect(again.note).toMatch(/already refunded in full/);
    const unpaid = await writer.send(cancellation(other, { paidAtChannel: false }));
    expect(unpaid.note).toMatch(/not paid on eBay/);
  });

  it('a refund while another is processing (409, 34922) is retryable; 429 on a shipment is retried', async () => {
    fake.failNext(409, 1, /issue_refund/);
    const busy = await writebackError(writer.send(refund(order, 'R4', 100, [])));
    expect({ retryable: busy.retryable, status: busy.status }).toEqual({ retryable: true, status: 409 });
    expect(busy.message).toContain("Refund can't be issued while previous refund is processing.");
    fake.failNext(429, 1, /shipping_fulfillment/);
    const other = ref('ebay-us', 'ebay', '12-11223-44557');
    await writer.send(shipment(other, 'S3', [{ lineId: '10055443322201', sku: 'C', quantity: 1 }], 'RETRIED-429'));
    expect(fake.confirmations.at(-1)).toEqual(expect.objectContaining({ orderId: '12-11223-44557', shipmentTrackingNumber: 'RETRIED-429', shippingCarrierCode: 'UPS' }));
  });

  it('401/404 are final with eBay\'s message; 500 repeatedly is retryable', async () => {
    fake.failNext(401, 1, /shipping_fulfillment/);
    const revoked = await writebackError(writer.send(shipment(order, 'S7', [{ lineId: '10055443322101', sku: 'A', quantity: 1 }], 'T7')));
    expect({ retryable: revoked.retryable, status: revoked.status }).toEqual({ retryable: false, status: 401 });
    expect(revoked.message).toContain('Invalid access token');
    const gone = await writebackError(writer.send(shipment(ref('ebay-us', 'ebay', '99-99999-99999'), 'S8', [{ lineId: '1', sku: 'A', quantity: 1 }], 'T8')));
    expect({ retryable: gone.retryable, status: gone.status, message: gone.message }).toEqual({ retryable: false, status: 404, message: expect.stringContaining('Invalid order ID: 99-99999-99999') });
    fake.failNext(500, 3, /shipping_fulfillment/);
    expect((await writebackError(writer.send(shipment(order, 'S9', [{ lineId: '10055443322101', sku: 'A', quantity: 1 }], 'T9')))).retryable).toBe(true);
  });
});
