import { describe, expect, it } from 'vitest';
import { draftFromDelivery } from '#shared/channels/deliveries.ts';
import { MAX_WARNINGS } from '#shared/channels/mapping.ts';
import { wooCommerceWebhooks } from '#shared/channels/woocommerce.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { OrderDraft } from '#shared/domain/order.ts';
import { fixture } from '../support/channel-fixtures.ts';

/**
 * The mapping that decides both the webhook's answer and capture: texts are
 * fitted to the OMS's limits with a warning, what cannot be an order is a
 * ValidationError naming the field (a 422 before anything is stored).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a channel payload, edited field by field
type Json = Record<string, any>;
const shopify = (change: (order: Json) => void) => {
  const order = fixture<Json>('shopify-orders-create.json');
  change(order);
  return draftFromDelivery({ channelId: 'shopify-us', channelType: 'shopify', body: JSON.stringify(order) });
};
function refusal(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details;
  }
  throw new Error('expected a refusal');
}

describe('fitting a channel order to what the OMS keeps', () => {
  it('leaves an order within the limits exactly as the mapper made it', () => {
    const draft = shopify(() => undefined);
    expect(draft.warnings.filter((w) => w.code === 'field_truncated' || w.code === 'field_dropped')).toEqual([]);
    expect(OrderDraft.parse(draft)).toEqual(draft);
  });

  it('cuts long texts at the limit, at a character boundary, with a field_truncated warning naming field and lengths', () => {
    const draft = shopify((order) => {
      order['note'] = 'x'.repeat(4999) + '🍵🍵';
      order['shipping_address']['address1'] = 'Rue-'.repeat(60);
      order['billing_address']['company'] = 'C'.repeat(250);
      order['name'] = '#'.repeat(120);
    });
    expect(draft.notes).toBe('x'.repeat(4999)); // the emoji would be split: left out whole
    expect(draft.shippingAddress?.lines[0]).toHaveLength(200);
    expect(draft.billingAddress?.company).toHaveLength(200);
    expect(draft.channel.externalNumber).toHaveLength(100);
    expect(draft.warnings.filter((w) => w.code === 'field_truncated').map((w) => w.details)).toEqual([
      { field: 'channel.externalNumber', originalLength: 120, keptLength: 100 },
      { field: 'shippingAddress.lines.0', originalLength: 240, keptLength: 200 },
      { field: 'billingAddress.company', originalLength: 250, keptLength: 200 },
      { field: 'notes', originalLength: 5003, keptLength: 4999 },
    ]);
  });

  it('leaves out an over-long e-mail or phone and coordinates off the Earth (field_dropped), and rounds coordinates to 7 decimals', () => {
    const draft = shopify((order) => {
      order['email'] = `${'a'.repeat(400)}@example.com`;
      order['customer']['email'] = null;
      order['shipping_address']['phone'] = '+1 617 555 0142 ext. '.repeat(3);
      order['shipping_address']['latitude'] = 123.4;
      order['billing_address']['latitude'] = 42.358123456789;
      order['billing_address']['longitude'] = 5e-324;
    });
    expect(draft.customer.email).toBeUndefined();
    expect(draft.shippingAddress?.phone).toBeUndefined();
    expect(draft.shippingAddress?.geo).toBeUndefined();
    expect(draft.billingAddress?.geo).toEqual({ lat: 42.3581235, lon: 0 });
    expect(draft.warnings.filter((w) => w.code === 'field_dropped').map((w) => w.details)).toEqual([
      { field: 'customer.email', reason: 'too_long', originalLength: 412 },
      { field: 'shippingAddress.phone', reason: 'too_long', originalLength: 62 },
      { field: 'shippingAddress.geo', reason: 'out_of_range' },
    ]);
  });

  it(`keeps at most ${MAX_WARNINGS} warnings, the totals mismatch first, and sums up the rest`, () => {
    const draft = shopify((order) => {
      const line = order['line_items'][0];
      order['line_items'] = Array.from({ length: 30 }, (_, i) => ({ ...line, id: i + 1, sku: `SKU-${i}`, price: '1.005', tax_lines: [], discount_allocations: [] }));
      order['total_price'] = '1.00';
    });
    expect(draft.warnings).toHaveLength(MAX_WARNINGS);
    expect(draft.warnings[0]?.code).toBe('totals_mismatch');
    expect(draft.warnings.at(-1)).toMatchObject({ code: 'field_truncated', details: { field: 'warnings', originalLength: 31, keptLength: MAX_WARNINGS - 1 } });
  });

  it('quotes at most 40 characters of a rounded amount in its warning', () => {
    const draft = shopify((order) => {
      order['line_items'][0]['price'] = `18.00${'0'.repeat(5000)}1`;
    });
    const rounded = draft.warnings.find((w) => w.code === 'amount_rounded');
    expect(String(rounded?.details?.['original'])).toHaveLength(40);
    expect(rounded?.message.length).toBeLessThan(200);
  });
});

describe('what cannot be an order is refused, naming the field', () => {
  it.each([
    ['a line of more than 100,000 units', (o: Json) => void (o['line_items'][0]['quantity'] = 100_001), 'line_items.0.quantity'],
    ['more than 1,000 lines', (o: Json) => void (o['line_items'] = Array.from({ length: 1001 }, (_, i) => ({ ...o['line_items'][0], id: i }))), 'line_items'],
    ['an amount that cannot be held exactly', (o: Json) => void (o['line_items'][0]['price'] = '99999999999999999'), 'line_items.0.price'],
    ['a negative tax', (o: Json) => void (o['total_tax'] = '-1.00'), 'totals.tax'],
    ['a country that is no ISO code', (o: Json) => void (o['shipping_address']['country_code'] = 'U1'), 'shipping_address.country_code'],
    ['a date after the year 9999', (o: Json) => void (o['created_at'] = '+010000-01-01T00:00:00Z'), 'created_at'],
  ])('%s', (_case, change, path) => {
    expect(refusal(() => shopify(change)).map((d) => d.path)).toContain(path);
  });

  it('takes a country code in either case', () => {
    expect(shopify((o) => void (o['shipping_address']['country_code'] = 'us')).shippingAddress?.country).toBe('US');
  });

  it('refuses an Amazon order whose every item has quantity 0, and an eBay order in a currency that is no ISO code', () => {
    const order = fixture<{ payload: { Orders: Json[] } }>('amazon-spapi-getOrders.json').payload.Orders[0];
    const items = fixture<{ payload: { OrderItems: Json[] } }>('amazon-spapi-getOrderItems.json').payload.OrderItems.map((item) => ({ ...item, QuantityOrdered: 0 }));
    expect(refusal(() => draftFromDelivery({ channelId: 'amazon-us', channelType: 'amazon', body: JSON.stringify({ order, items }) })).map((d) => d.path)).toContain('lines');
    const ebay = fixture<{ orders: Json[] }>('ebay-getOrders.json').orders[0] as Json;
    ebay['pricingSummary']['total']['currency'] = 'usd';
    expect(refusal(() => draftFromDelivery({ channelId: 'ebay-us', channelType: 'ebay', body: JSON.stringify(ebay) })).map((d) => d.path)).toContain('pricingSummary.total.currency');
  });

  it('fits an eBay and an Amazon address like a webhook\'s', () => {
    const ebay = fixture<{ orders: Json[] }>('ebay-getOrders.json').orders[0] as Json;
    ebay['fulfillmentStartInstructions'][0]['shippingStep']['shipTo']['contactAddress']['city'] = 'S'.repeat(150);
    const draft = draftFromDelivery({ channelId: 'ebay-us', channelType: 'ebay', body: JSON.stringify(ebay) });
    expect(draft.shippingAddress?.city).toHaveLength(100);
    expect(draft.warnings).toContainEqual(expect.objectContaining({ code: 'field_truncated', details: { field: 'shippingAddress.city', originalLength: 150, keptLength: 100 } }));
  });
});

describe('WooCommerce\'s unsigned ping', () => {
  const ping = (body: string, headers: Record<string, string> = {}) => wooCommerceWebhooks.unsignedPing?.({ headers, rawBody: Buffer.from(body) });

  it('is exactly webhook_id=N, form-encoded or without a Content-Type, with no X-WC-Webhook-* header', () => {
    expect(ping('webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/10.3.0 Hookshot (WordPress/6.8.3)' })).toBe(true);
    expect(ping('webhook_id=42', { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })).toBe(true);
    expect(ping('webhook_id=7')).toBe(true);
  });

  it.each([
    ['another body', 'webhook_id=42&x=1', {}],
    ['no id', 'webhook_id=', {}],
    ['whitespace around it', ' webhook_id=42\n', {}],
    ['JSON', '{"webhook_id":42}', {}],
    ['a JSON Content-Type', 'webhook_id=42', { 'content-type': 'application/json' }],
    ['a delivery header', 'webhook_id=42', { 'x-wc-webhook-delivery-id': '1' }],
    ['a signature header', 'webhook_id=42', { 'x-wc-webhook-signature': 'x' }],
  ])('is not %s', (_case, body, headers: Record<string, string>) => {
    expect(ping(body, headers)).toBe(false);
  });
});
