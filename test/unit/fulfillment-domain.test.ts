import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacHexMatches } from '#shared/channels/signatures.ts';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { deliveryTime, isDelivered, trackingAdvances, transition } from '#shared/domain/fulfillment.ts';
import { invoiceBody, invoiceIdOf, renderInvoiceHtml, type Invoice } from '#shared/domain/invoice.ts';
import { applies, recipients, render } from '#shared/domain/notification.ts';
import { linesTotal, type Order } from '#shared/domain/order.ts';
import { captureAmount, paymentModeOf, shippedValue } from '#shared/domain/payment.ts';
import { CarrierSelection } from '#shared/domain/routing.ts';
import { SANDBOX_RATE_CARDS, addBusinessDays, ratesFromCard, selectRate, zoneFor, type Rate } from '#shared/domain/shipping.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { must } from '../support/fixtures.ts';

const shopify = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shopify-us' });
const order: Order = { ...shopify, orderId: '01JB8Z3Q4W5E6R7T8Y9U0I1O2P', status: 'reserved', version: 3, createdAt: shopify.channelCreatedAt, updatedAt: shopify.channelCreatedAt };

describe('fulfillment status', () => {
  it('moves forward, repeats are unchanged, and nothing leaves a final status', () => {
    expect(transition('created', 'accepted')).toBe('apply');
    expect(transition('created', 'shipped')).toBe('apply');
    expect(transition('packed', 'packed')).toBe('unchanged');
    expect(transition('packed', 'picked')).toBe('invalid');
    expect(transition('accepted', 'timed_out')).toBe('invalid');
    for (const final of ['shipped', 'delivered', 'rejected', 'timed_out', 'cancelled'] as const) expect(transition(final, 'accepted')).toBe('invalid');
  });

  it('goes from shipped to delivered, where a retried `shipped` report is a repeat, not a step back', () => {
    expect(transition('shipped', 'delivered')).toBe('apply');
    expect(transition('packed', 'delivered')).toBe('invalid');
    expect(transition('delivered', 'shipped')).toBe('unchanged');
    expect(transition('delivered', 'packed')).toBe('invalid');
    expect(isDelivered({ status: 'delivered' })).toBe(true);
    // Written before the status existed: shipped, with the carrier's delivery in its tracking.
    expect(isDelivered({ status: 'shipped', tracking: { status: 'delivered', updatedAt: '2026-11-27T10:00:00.000Z', events: [] } })).toBe(true);
    expect(isDelivered({ status: 'shipped', tracking: { status: 'in_transit', updatedAt: '2026-11-27T10:00:00.000Z', events: [] } })).toBe(false);
  });

  it('never delivers a parcel before it shipped: an earlier scan is recorded at the shipping time', () => {
    expect(deliveryTime('2026-11-27T10:00:00.000Z', '2026-11-27T09:53:00Z')).toEqual({ deliveredAt: '2026-11-27T10:00:00.000Z', adjusted: true });
    expect(deliveryTime('2026-11-27T10:00:00.000Z', '2026-11-27T10:00:00Z')).toEqual({ deliveredAt: '2026-11-27T10:00:00Z', adjusted: false });
    expect(deliveryTime('2026-11-27T10:00:00.000Z', '2026-11-28T08:00:00Z')).toEqual({ deliveredAt: '2026-11-28T08:00:00Z', adjusted: false });
    expect(deliveryTime(undefined, '2026-11-28T08:00:00Z')).toEqual({ deliveredAt: '2026-11-28T08:00:00Z', adjusted: false });
  });

  it('lets tracking move forward only, except for exceptions', () => {
    expect(trackingAdvances(undefined, 'in_transit')).toBe(true);
    expect(trackingAdvances('out_for_delivery', 'in_transit')).toBe(false);
    expect(trackingAdvances('in_transit', 'exception')).toBe(true);
    expect(trackingAdvances('exception', 'in_transit')).toBe(true);
    expect(trackingAdvances('delivered', 'exception')).toBe(false);
  });
});

describe('carrier webhook signatures', () => {
  it('accept sha256=<hex HMAC of the raw body> under the secret, and nothing else', () => {
    const body = Buffer.from('{"trackingNumber":"PC1","status":"delivered"}');
    const good = `sha256=${createHmac('sha256', 'secret').update(body).digest('hex')}`;
    expect(hmacHexMatches(body, 'secret', good)).toBe(true);
    expect(hmacHexMatches(body, 'other', good)).toBe(false);
    expect(hmacHexMatches(Buffer.from(`${body.toString()} `), 'secret', good)).toBe(false);
    expect(hmacHexMatches(body, 'secret', good.replace('sha256=', ''))).toBe(false);
    expect(hmacHexMatches(body, 'secret', undefined)).toBe(false);
  });
});

describe('carrier rates and selection', () => {
  it('zones by distance within a country and a zone of its own abroad', () => {
    expect([0, 100, 300, 700, 1200, 2000, 4000].map((km) => zoneFor(km, true))).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(zoneFor(10, false)).toBe(9);
    expect(zoneFor(undefined, true)).toBe(5);
  });

  it('prices by zone and started kilogram, and counts business days only', () => {
    const friday = new Date('2026-11-27T12:00:00.000Z');
    const [ground] = ratesFromCard(must(SANDBOX_RATE_CARDS[0]), { zone: 2, weightGrams: 2100, currency: 'USD', shipDate: friday });
    expect(ground).toMatchObject({ carrierId: 'parcelco', serviceLevel: 'ground', amount: 845 + 2 * 95, transitDays: 1 });
    expect(ground?.estimatedDelivery.slice(0, 10)).toBe('2026-11-30');
    expect(addBusinessDays(friday, 2).toISOString().slice(0, 10)).toBe('2026-12-01');
  });

  it('chooses the cheapest rate that arrives by the promised date, else the fastest; or as configured', () => {
    const rate = (carrierId: string, amount: number, days: number): Rate => ({ carrierId, serviceLevel: 's', amount, currency: 'USD', zone: 5, transitDays: days, estimatedDelivery: `2026-12-0${days}T20:00:00.000Z` });
    const rates = [rate('slow', 500, 5), rate('mid', 900, 3), rate('fast', 2000, 1)];
    const cheapestOnTime = CarrierSelection.parse({});
    expect(selectRate(rates, cheapestOnTime, '2026-12-04T00:00:00.000Z')?.rate.carrierId).toBe('mid');
    expect(selectRate(rates, cheapestOnTime, undefined)?.rate.carrierId).toBe('slow');
    expect(selectRate(rates, cheapestOnTime, '2026-11-30T00:00:00.000Z')).toMatchObject({ rate: { carrierId: 'fast' }, why: expect.stringContaining('no rate arrives by') });
    expect(selectRate(rates, CarrierSelection.parse({ strategy: 'fastest' }), undefined)?.rate.carrierId).toBe('fast');
    expect(selectRate(rates, CarrierSelection.parse({ strategy: 'fixed', carrierId: 'mid', serviceLevel: 's' }), undefined)?.rate.carrierId).toBe('mid');
    expect(selectRate(rates, CarrierSelection.parse({ strategy: 'fixed', carrierId: 'gone', serviceLevel: 's' }), undefined)).toBeUndefined();
    expect(selectRate([], cheapestOnTime, undefined)).toBeUndefined();
  });
});

describe('payments', () => {
  it('values the shipped share of each line plus shipping with the first parcel, and exactly what the lines add up to with the last', () => {
    // The Shopify fixture: 2 tees and a mug, with a discount, shipping and tax.
    const total = linesTotal(order);
    expect(shippedValue(order, new Map())).toBe(0);
    const oneTee = shippedValue(order, new Map([['TEE-ORG-M-BLK', 1]]));
    expect(oneTee).toBeGreaterThan(order.totals.shipping);
    expect(oneTee).toBeLessThan(total);
    expect(shippedValue(order, new Map([['TEE-ORG-M-BLK', 2], ['MUG-CER-350', 1]]))).toBe(total);
    // Each capture is the value added by its shipment, never beyond what the authorization has left.
    expect(captureAmount(order, new Map([['TEE-ORG-M-BLK', 1]]), new Map([['TEE-ORG-M-BLK', 1], ['MUG-CER-350', 1]]), total)).toBe(total - oneTee);
    expect(captureAmount(order, new Map(), new Map([['TEE-ORG-M-BLK', 1]]), 100)).toBe(100);
  });

  it('tells who takes the money: the OMS for its providers on orders placed through the API, else the channel, or the courier in cash', () => {
    const api = { channelType: 'web' as const };
    expect(paymentModeOf({ channel: api, payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' } })).toBe('provider');
    expect(paymentModeOf({ channel: { channelType: 'pos' }, payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' } })).toBe('provider');
    expect(paymentModeOf({ channel: api, payment: { state: 'authorized', provider: 'shopify_payments' } })).toBe('channel');
    expect(paymentModeOf({ channel: api, payment: { state: 'paid' } })).toBe('channel');
    expect(paymentModeOf({ channel: api, payment: { state: 'cod' } })).toBe('cash_on_delivery');
    // A shop order whose gateway happens to be called "sandbox" was still paid at the shop: its figure never drives a charge.
    expect(paymentModeOf({ channel: { channelType: 'shopify' }, payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' } })).toBe('channel');
  });
});

describe('invoices', () => {
  it('invoices each shipment its share; the invoices of an order add up to its total to the cent', () => {
    const first = invoiceBody(order, new Map([['TEE-ORG-M-BLK', 1]]), new Map(), true);
    const second = invoiceBody(order, new Map([['TEE-ORG-M-BLK', 1], ['MUG-CER-350', 1]]), new Map([['TEE-ORG-M-BLK', 1]]), false);
    expect(first.totals.shipping).toBe(order.totals.shipping);
    expect(second.totals.shipping).toBe(0);
    expect(first.totals.total + second.totals.total).toBe(order.totals.total);
    expect(first.totals.tax + second.totals.tax).toBe(order.totals.tax);
    expect(first.lines).toEqual([expect.objectContaining({ sku: 'TEE-ORG-M-BLK', quantity: 1 })]);
    const whole = invoiceBody(order, new Map([['TEE-ORG-M-BLK', 2], ['MUG-CER-350', 1]]), new Map(), true);
    expect(whole.totals.total).toBe(order.totals.total);
  });

  it('numbers invoices per series and renders a document a person can read, escaping what came from channels', () => {
    expect(invoiceIdOf('INV', 42)).toBe('INV-000042');
    const body = invoiceBody({ ...order, lines: order.lines.map((l) => ({ ...l, title: '<script>alert(1)</script>' })) }, new Map([['MUG-CER-350', 1]]), new Map(), true);
    const invoice: Invoice = { ...body, invoiceId: 'INV-000042', series: 'INV', number: 42, orderId: order.orderId, shipmentId: `${order.orderId}-F1`, issuedAt: '2026-11-27T12:00:00.000Z' };
    const html = renderInvoiceHtml(invoice, { name: 'Acme & Co' });
    expect(html).toContain('<title>Invoice INV-000042</title>');
    expect(html).toContain('Acme &amp; Co');
    expect(html).not.toContain('<script>');
    expect(html).toContain(`$${(invoice.totals.total / 100).toFixed(2)}`);
    expect(html).not.toContain(' USD');
  });
});

describe('customer messages', () => {
  it('go by e-mail when there is an address, and by SMS only with a phone number and consent', () => {
    expect(recipients({ customer: { email: 'a@example.com', phone: '+15550100' } })).toEqual([{ channel: 'email', to: 'a@example.com' }]);
    expect(recipients({ customer: { email: 'a@example.com', phone: '+15550100', smsConsent: true } })).toHaveLength(2);
    expect(recipients({ customer: {} })).toEqual([]);
  });

  it('carry the tracking link, and pickups are collected rather than shipped', () => {
    const shipped = render('shipped', order, { lines: [{ sku: 'MUG-CER-350', quantity: 1 }], trackingNumber: 'PC1', trackingUrl: 'https://track.example.com/parcelco/PC1' });
    expect(shipped.text).toContain('https://track.example.com/parcelco/PC1');
    expect(shipped.text).toContain('1 × Ceramic Mug 350 ml');
    expect(shipped.sms.length).toBeLessThan(160);
    const pickup = { ...order, fulfillment: { type: 'pickup' as const, locationId: 'store-nyc', fulfilledBy: 'merchant' as const } };
    expect(applies('shipped', pickup)).toBe(false);
    expect(applies('delivered', pickup)).toBe(true);
    expect(render('delivered', pickup, {}).subject).toContain('collected');
  });
});
