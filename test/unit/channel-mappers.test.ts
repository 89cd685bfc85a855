import { describe, expect, it } from 'vitest';
import { AmazonOrder, AmazonOrderItem, amazonToDraft } from '#shared/channels/amazon.ts';
import { ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { EbayOrder, ebayToDraft } from '#shared/channels/ebay.ts';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { moneyReader } from '#shared/channels/mapping.ts';
import { WooOrder, wooToDraft } from '#shared/channels/woocommerce.ts';
import type { OrderWarning } from '#shared/domain/order.ts';
import { MAX_MINOR_UNITS, OrderDraft, initialStatus } from '#shared/domain/order.ts';
import { fixture } from '../support/channel-fixtures.ts';

describe('Shopify orders/create → canonical order', () => {
  const draft = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shopify-us' });

  it('maps the fixture exactly, money in cents', () => {
    expect(OrderDraft.parse(draft)).toEqual(draft);
    expect(draft).toEqual({
      channel: { channelId: 'shopify-us', channelType: 'shopify', externalOrderId: '5821334503521', externalNumber: '#1042' },
      customer: { name: 'Maria Lopez', email: 'maria.lopez@example.com', phone: '+16175550142' },
      shippingAddress: {
        name: 'Maria Lopez',
        lines: ['88 Tremont St', 'Apt 4'],
        city: 'Boston',
        region: 'MA',
        postalCode: '02108',
        country: 'US',
        phone: '+16175550142',
        geo: { lat: 42.3581, lon: -71.0609 },
      },
      billingAddress: expect.objectContaining({ name: 'Maria Lopez', country: 'US' }),
      currency: 'USD',
      lines: [
        { lineId: '14522334455661', sku: 'TEE-ORG-M-BLK', title: 'Organic Tee - M / Black', quantity: 2, unitPrice: 2900, subtotal: 5800, discount: 492, tax: 363, requiresShipping: true },
        { lineId: '14522334455662', sku: 'MUG-CER-350', title: 'Ceramic Mug 350 ml', quantity: 1, unitPrice: 6000, subtotal: 6000, discount: 508, tax: 501, requiresShipping: true },
      ],
      shipping: { method: 'Standard Shipping', serviceLevel: 'Standard', price: 799, tax: 0 },
      fulfillment: { type: 'ship', fulfilledBy: 'merchant' },
      promised: {},
      payment: { state: 'paid', provider: 'shopify', reference: 'shopify:5821334503521' },
      totals: { subtotal: 11800, discount: 1000, shipping: 799, tax: 864, total: 12463, taxesIncluded: false },
      channelState: 'open',
      notes: 'Leave at the side door, please',
      warnings: [],
      channelCreatedAt: '2026-10-14T13:21:37.000Z',
      channelUpdatedAt: '2026-10-14T13:21:39.000Z',
    });
  });

  it('starts as received', () => {
    expect(initialStatus(draft)).toEqual({ status: 'received' });
  });

  it('reads a cancelled order as cancelled', () => {
    const cancelled = shopifyToDraft(ShopifyOrder.parse({ ...fixture<Record<string, unknown>>('shopify-orders-create.json'), cancelled_at: '2026-10-15T10:00:00-04:00' }), { channelId: 's' });
    expect(cancelled.channelState).toBe('cancelled');
  });

  it('names missing required fields and tolerates unknown ones', () => {
    const { line_items: _lines, currency: _currency, ...rest } = fixture('shopify-orders-create.json');
    const result = ShopifyOrder.safeParse({ ...rest, brand_new_field: { nested: true } });
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['currency', 'line_items']);
    const noSku = fixture<{ line_items: Record<string, unknown>[] }>('shopify-orders-create.json');
    noSku.line_items[1] = { ...(noSku.line_items[1] as object), sku: null };
    expect(ShopifyOrder.safeParse(noSku).error?.issues.map((i) => i.path.join('.'))).toEqual(['line_items.1.sku']);
  });
});

describe('WooCommerce order.created → canonical order', () => {
  const draft = wooToDraft(WooOrder.parse(fixture('woocommerce-order-created.json')), { channelId: 'woo-de' });

  it('maps the fixture, with amounts from the REST shape (excluding tax)', () => {
    expect(OrderDraft.parse(draft)).toEqual(draft);
    expect(draft).toMatchObject({
      channel: { channelId: 'woo-de', channelType: 'woocommerce', externalOrderId: '7311', externalNumber: '7311' },
      customer: { name: 'Jonas Becker', email: 'jonas.becker@example.org', phone: '+4930123456' },
      shippingAddress: { name: 'Jonas Becker', lines: ['Lindenstraße 12'], city: 'Berlin', region: 'BE', postalCode: '10969', country: 'DE' },
      currency: 'EUR',
      lines: [{ lineId: '901', sku: 'APRON-LIN-NAT', title: 'Linen Apron - Natural', quantity: 2, unitPrice: 2059, subtotal: 4118, discount: 0, tax: 782 }],
      shipping: { method: 'DHL Paket', serviceLevel: 'flat_rate', price: 412, tax: 78 },
      fulfillment: { type: 'ship', fulfilledBy: 'merchant' },
      payment: { state: 'paid', method: 'Credit card', provider: 'stripe', reference: 'pi_3QAbCdEfGh123456' },
      channelCreatedAt: '2026-10-15T09:02:10.000Z',
    });
  });

  it('records the fixture\'s totals mismatch as a warning instead of dropping it', () => {
    expect(draft.totals).toEqual({ subtotal: 4118, discount: 0, shipping: 412, tax: 875, total: 5480, taxesIncluded: false });
    expect(draft.warnings).toEqual([
      expect.objectContaining({ code: 'totals_mismatch', details: { expected: 5405, actual: 5480, difference: 75, currency: 'EUR' } }),
    ]);
    // Said as money, not as minor units.
    expect(draft.warnings[0]?.message).toBe('Lines €41.18 − discounts €0.00 + shipping €4.12 + tax €8.75 = €54.05, but the channel\'s total is €54.80');
  });
});

describe('Amazon SP-API getOrders + getOrderItems → canonical order', () => {
  const orders = fixture<{ payload: { Orders: unknown[] } }>('amazon-spapi-getOrders.json').payload.Orders;
  const items = fixture<{ payload: { OrderItems: unknown[] } }>('amazon-spapi-getOrderItems.json').payload.OrderItems;
  const order = AmazonOrder.parse(orders[0]);
  const draft = amazonToDraft(order, items.map((i) => AmazonOrderItem.parse(i)), { channelId: 'amazon-us' });

  it('maps the fixture with promised dates and the channel as payment reference', () => {
    expect(OrderDraft.parse(draft)).toEqual(draft);
    expect(draft).toMatchObject({
      channel: { channelId: 'amazon-us', channelType: 'amazon', externalOrderId: '113-4829105-2204251', marketplaceId: 'ATVPDKIKX0DER' },
      customer: { name: 'Derek Chan', email: 'x7q2kd9f3m5w8zt@marketplace.amazon.com' },
      shippingAddress: { name: 'Derek Chan', lines: ['1200 Pine St'], city: 'Seattle', region: 'WA', postalCode: '98101-3108', country: 'US' },
      currency: 'USD',
      lines: [{ lineId: '51234567890123', sku: 'TEE-ORG-M-BLK', title: 'Organic Tee, Medium, Black', quantity: 2, unitPrice: 2900, subtotal: 5800, discount: 0, tax: 0 }],
      shipping: { method: 'Std US D2D Dom', serviceLevel: 'standard', price: 0 },
      fulfillment: { type: 'ship', fulfilledBy: 'merchant' },
      promised: { shipBy: '2026-10-18T06:59:59.000Z', deliverBy: '2026-10-23T06:59:59.000Z' },
      payment: { state: 'paid', provider: 'amazon', reference: '113-4829105-2204251' },
      totals: { subtotal: 5800, discount: 0, shipping: 0, tax: 0, total: 5800, taxesIncluded: false },
      channelState: 'open',
      warnings: [],
    });
  });

  it('holds Pending orders, cancels Canceled ones and never routes AFN ones', () => {
    const as = (overrides: Record<string, unknown>) =>
      initialStatus(amazonToDraft(AmazonOrder.parse({ ...(orders[0] as object), ...overrides }), items.map((i) => AmazonOrderItem.parse(i)), { channelId: 'a' }));
    expect(as({ OrderStatus: 'Pending', OrderTotal: undefined })).toMatchObject({ status: 'on_hold', hold: { reason: 'payment_pending' } });
    expect(as({ OrderStatus: 'Canceled' })).toEqual({ status: 'cancelled' });
    expect(as({ FulfillmentChannel: 'AFN' })).toEqual({ status: 'fulfilled_by_channel' });
  });
});

describe('eBay getOrders → canonical order', () => {
  const draft = ebayToDraft(EbayOrder.parse(fixture<{ orders: unknown[] }>('ebay-getOrders.json').orders[0]), { channelId: 'ebay-us' });

  it('maps the fixture, with shipping from the delivery cost and the buyer\'s phone', () => {
    expect(OrderDraft.parse(draft)).toEqual(draft);
    expect(draft).toMatchObject({
      channel: { channelId: 'ebay-us', channelType: 'ebay', externalOrderId: '12-11223-44556' },
      customer: { name: 'Priya Natarajan', email: 'priya.n@example.net', phone: '4155550199' },
      shippingAddress: { lines: ['455 Market St', 'Suite 900'], city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      lines: [{ lineId: '10055443322101', sku: 'MUG-CER-350', quantity: 1, unitPrice: 6000, subtotal: 6000 }],
      shipping: { method: 'USPSPriority', carrier: 'USPS', price: 550 },
      promised: { deliverBy: '2026-10-24T07:00:00.000Z' },
      payment: { state: 'paid', provider: 'ebay', reference: '110554433221-2990011223344' },
      totals: { subtotal: 6000, discount: 0, shipping: 550, tax: 0, total: 6550, taxesIncluded: false },
      warnings: [],
    });
  });
});

describe('POS / web store API order', () => {
  it('maps an order in minor units; its total is what the lines add up to', () => {
    const input = ApiOrderInput.parse({
      channelId: 'pos-soho',
      currency: 'USD',
      lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 2, unitPrice: 1500, tax: 266 }],
      fulfillment: { type: 'carry_out', locationId: 'store-soho' },
      payment: { state: 'paid', provider: 'square', reference: 'sq_1' },
      total: 3266,
    });
    const draft = apiOrderToDraft(input, { channelId: 'pos-soho', type: 'pos' }, 'till-42-0001', new Date('2026-11-27T10:00:00Z'));
    expect(draft.totals).toEqual({ subtotal: 3000, discount: 0, shipping: 0, tax: 266, total: 3266, taxesIncluded: false });
    expect(draft.warnings).toEqual([]);
    expect(draft.fulfillment).toEqual({ type: 'carry_out', locationId: 'store-soho', fulfilledBy: 'merchant' });
    // Without a total of its own the order's total is still the lines'.
    const { total: _omitted, ...withoutTotal } = input;
    expect(apiOrderToDraft(ApiOrderInput.parse(withoutTotal), { channelId: 'pos-soho', type: 'pos' }, 'till-42-0002', new Date()).totals.total).toBe(3266);
  });

  const issuesOf = (input: Record<string, unknown>) => {
    const result = ApiOrderInput.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };
  const order = (changes: Record<string, unknown>) => ({
    channelId: 'web',
    currency: 'USD',
    lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 2, unitPrice: 1500 }],
    fulfillment: { type: 'carry_out', locationId: 'store-soho' },
    payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    ...changes,
  });

  it('refuses a total that disagrees with the lines, naming both figures', () => {
    expect(issuesOf(order({ total: 1 }))).toEqual([
      { path: 'total', message: 'total is $0.01 (1 minor units), but the lines add up to $30.00 (3000 minor units): Σ unitPrice × quantity − discount + tax, plus shipping and its tax' },
    ]);
    expect(issuesOf(order({ total: 3000 }))).toEqual([]);
  });

  it('refuses money that would make the order negative or beyond the limit', () => {
    expect(issuesOf(order({ lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: 1500, discount: 5000 }] }))).toEqual([
      { path: 'lines.0.discount', message: "The discount $50.00 (5000 minor units) is more than the line's $15.00 (1500 minor units)" },
    ]);
    expect(issuesOf(order({ lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: -1500 }] }))).toEqual([
      expect.objectContaining({ path: 'lines.0.unitPrice' }),
    ]);
    expect(issuesOf(order({ lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: 2 ** 53 + 2 }] }))).toEqual(
      expect.arrayContaining([{ path: 'lines.0.unitPrice', message: 'Too big: expected number to be <=1000000000000' }]),
    );
    // Each field is in range, but price × quantity is not.
    expect(issuesOf(order({ lines: [{ sku: 'MUG-CER-350', title: 'Mug', quantity: 100_000, unitPrice: MAX_MINOR_UNITS }] }))).toEqual([
      expect.objectContaining({ path: 'lines.0.unitPrice', message: expect.stringContaining('beyond the limit') }),
    ]);
    // Each line is in range, but the order is not.
    const big = { sku: 'MUG-CER-350', title: 'Mug', quantity: 1, unitPrice: MAX_MINOR_UNITS };
    expect(issuesOf(order({ lines: [big, { ...big, sku: 'TEE' }] }))).toEqual([expect.objectContaining({ path: 'lines', message: expect.stringContaining('beyond the limit') })]);
  });

  it('requires an address to ship and a store for carry-out', () => {
    const base = { channelId: 'web', currency: 'USD', lines: [{ sku: 'A', title: 'a', quantity: 1, unitPrice: 100 }], payment: { state: 'paid' } };
    expect(ApiOrderInput.safeParse({ ...base, fulfillment: { type: 'ship' } }).error?.issues[0]?.path).toEqual(['shippingAddress']);
    expect(ApiOrderInput.safeParse({ ...base, fulfillment: { type: 'pickup' } }).error?.issues[0]?.path).toEqual(['fulfillment', 'locationId']);
  });
});

describe('amounts with more decimals than the currency has', () => {
  it('are rounded half-to-even with a warning that says the result as money', () => {
    const warnings: OrderWarning[] = [];
    expect(moneyReader('USD', warnings)('4.925', 'line_items.0.price')).toBe(492);
    expect(moneyReader('JPY', warnings)('1500.5', 'total_price')).toBe(1500);
    expect(warnings.map((w) => w.message)).toEqual([
      'line_items.0.price 4.925 has more decimals than USD; rounded to $4.92',
      'total_price 1500.5 has more decimals than JPY; rounded to ¥1,500',
    ]);
  });
});
