import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { invoiceBody, type Invoice } from '#shared/domain/invoice.ts';
import { linesTotal, type Order } from '#shared/domain/order.ts';
import { captureAmount, unitsOf } from '#shared/domain/payment.ts';
import { creditNoteBody, refundable, refundValue, renderCreditNoteHtml, splitOverCaptures, type CreditNote, type Refund } from '#shared/domain/refund.ts';
import { notificationForEvent } from '#shared/use-cases/notifications.ts';
import { render } from '#shared/domain/notification.ts';

/**
 * Refund amounts: the refunded units' exact shares of price, discount and
 * tax (cumulative floors, as the invoices share shipped units), shipping
 * once, a fee deducted; never more than captured.
 */

const SKUS = ['MUG', 'TEE', 'CAP'];
const line = fc
  .record({
    sku: fc.constantFrom(...SKUS),
    quantity: fc.integer({ min: 1, max: 7 }),
    unitPrice: fc.integer({ min: 0, max: 250_000 }),
    tax: fc.integer({ min: 0, max: 40_000 }),
    discountShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ discountShare, ...l }) => ({ ...l, title: l.sku, discount: Math.floor(l.unitPrice * l.quantity * discountShare) }));

const orderInput = fc.record({
  currency: fc.constantFrom('USD', 'EUR', 'JPY', 'KWD'),
  lines: fc.array(line, { minLength: 1, maxLength: 5 }),
  shipping: fc.record({ price: fc.integer({ min: 0, max: 5_000 }), tax: fc.integer({ min: 0, max: 1_000 }) }),
});
type OrderInput = typeof orderInput extends fc.Arbitrary<infer T> ? T : never;

function placed(input: OrderInput): Order {
  const body = ApiOrderInput.parse({
    channelId: 'web',
    currency: input.currency,
    lines: input.lines,
    shipping: input.shipping,
    fulfillment: { type: 'ship' },
    shippingAddress: { name: 'Ada', lines: ['1 Main St'], city: 'Boston', postalCode: '02108', country: 'US' },
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
  });
  const draft = apiOrderToDraft(body, { channelId: 'web', type: 'web' }, 'ext-1', new Date('2026-11-30T12:00:00Z'));
  return { ...draft, orderId: 'O1', status: 'delivered', version: 1, createdAt: draft.channelCreatedAt, updatedAt: draft.channelCreatedAt };
}

/** The order's units in a random order, dealt into refunds of random sizes. */
function unitBatches(order: Order, cuts: readonly number[]): { sku: string; quantity: number }[][] {
  const units = order.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku));
  const batches: { sku: string; quantity: number }[][] = [];
  let i = 0;
  let c = 0;
  while (i < units.length) {
    const size = Math.max(1, (cuts[c++ % Math.max(1, cuts.length)] ?? 1) % 4);
    batches.push([...unitsOf(units.slice(i, i + size).map((sku) => ({ sku, quantity: 1 })))].map(([sku, quantity]) => ({ sku, quantity })));
    i += size;
  }
  return batches;
}

const asRefund = (value: ReturnType<typeof refundValue>): Pick<Refund, 'lines' | 'shipping'> => ({ lines: value.lines, ...(value.shipping ? { shipping: value.shipping } : {}) });

describe('refund amounts (property-based)', () => {
  it('refunding every unit, in any batches, refunds exactly what the order\'s lines add up to (shipping once), and each line exactly', () => {
    fc.assert(
      fc.property(orderInput, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.nat({ max: 10 }), (input, cuts, shippingAt) => {
        const order = placed(input);
        const batches = unitBatches(order, cuts);
        const earlier: Pick<Refund, 'lines' | 'shipping'>[] = [];
        let total = 0;
        batches.forEach((lines, index) => {
          // Shipping is asked for twice: it is refunded once.
          const value = refundValue(order, { lines, shipping: index === shippingAt % batches.length || index === batches.length - 1 }, earlier);
          expect(value.value).toBeGreaterThanOrEqual(0);
          total += value.value;
          earlier.push(asRefund(value));
        });
        expect(total).toBe(linesTotal(order));
        for (const l of order.lines) {
          const refunded = earlier.flatMap((r) => r.lines).filter((r) => r.lineId === l.lineId);
          expect(refunded.reduce((s, r) => s + r.subtotal, 0)).toBe(l.subtotal);
          expect(refunded.reduce((s, r) => s + r.discount, 0)).toBe(l.discount);
          expect(refunded.reduce((s, r) => s + r.tax, 0)).toBe(l.tax);
        }
        // Nothing is left: one more unit is refused, naming the field.
        const first = order.lines[0];
        if (first) expect(() => refundValue(order, { lines: [{ sku: first.sku, quantity: 1 }] }, earlier)).toThrow(ValidationError);
      }),
      { numRuns: 400 },
    );
  });

  it('refunds of shipped units never exceed what was captured for them, and split over captures within what each has left', () => {
    fc.assert(
      fc.property(orderInput, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (input, shipCuts, refundCuts) => {
        const order = placed(input);
        // Ship in parcels and capture each parcel's share, as capturePayment does.
        const captures: { captureId: string; amount: number; refunded: number }[] = [];
        const shippedSoFar: { sku: string; quantity: number }[] = [];
        for (const [index, lines] of unitBatches(order, shipCuts).entries()) {
          const amount = captureAmount(order, unitsOf(shippedSoFar), unitsOf(lines), Number.MAX_SAFE_INTEGER);
          shippedSoFar.push(...lines);
          captures.push({ captureId: `C${index}`, amount, refunded: 0 });
        }
        const captured = captures.reduce((s, c) => s + c.amount, 0);
        expect(captured).toBe(linesTotal(order));
        const payment = { mode: 'provider' as const, captured, amount: captured, refunded: 0 };
        const earlier: Pick<Refund, 'lines' | 'shipping'>[] = [];
        for (const lines of unitBatches(order, refundCuts)) {
          const value = refundValue(order, { lines, shipping: true }, earlier);
          expect(value.value).toBeLessThanOrEqual(refundable(payment, true));
          const parts = value.value > 0 ? splitOverCaptures(captures, value.value) : [];
          for (const part of parts) {
            const capture = captures.find((c) => c.captureId === part.captureId);
            if (!capture) throw new Error('unknown capture');
            capture.refunded += part.amount;
            expect(capture.refunded).toBeLessThanOrEqual(capture.amount);
          }
          expect(parts.reduce((s, p) => s + p.amount, 0)).toBe(value.value);
          payment.refunded += value.value;
          earlier.push(asRefund(value));
        }
        expect(payment.refunded).toBe(captured);
        expect(refundable(payment, true)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('refund amounts (examples)', () => {
  const order = placed({
    currency: 'USD',
    lines: [
      { sku: 'MUG', title: 'Mug', quantity: 3, unitPrice: 1000, tax: 100, discount: 100 },
      { sku: 'TEE', title: 'Tee', quantity: 1, unitPrice: 2500, tax: 250, discount: 0 },
    ],
    shipping: { price: 500, tax: 50 },
  });

  it('shares price, discount and tax by cumulative floors: 1 of 3 mugs, then 2 more, add up to the line', () => {
    const first = refundValue(order, { lines: [{ sku: 'MUG', quantity: 1 }] }, []);
    expect(first.lines).toEqual([{ lineId: 'L1', sku: 'MUG', title: 'Mug', quantity: 1, unitPrice: 1000, subtotal: 1000, discount: 33, tax: 33, amount: 1000 }]);
    const rest = refundValue(order, { lines: [{ sku: 'MUG', quantity: 2 }] }, [first]);
    expect(rest.lines[0]).toMatchObject({ quantity: 2, subtotal: 2000, discount: 67, tax: 67, amount: 2000 });
    expect(first.value + rest.value).toBe(3000 - 100 + 100);
  });

  it('refunds shipping and its tax once, deducts a fee but never below zero, and takes a goodwill amount without lines', () => {
    const withShipping = refundValue(order, { lines: [{ sku: 'TEE', quantity: 1 }], shipping: true, fee: 300 }, []);
    expect(withShipping).toMatchObject({ shipping: { amount: 500, tax: 50 }, fee: 300, value: 2750 + 550 - 300 });
    const again = refundValue(order, { lines: [{ sku: 'MUG', quantity: 1 }], shipping: true }, [withShipping]);
    expect(again.shipping).toBeUndefined();
    const allFee = refundValue(order, { lines: [{ sku: 'MUG', quantity: 1 }], fee: 1_000_000 }, []);
    expect(allFee).toMatchObject({ fee: 1000, value: 0 });
    expect(refundValue(order, { amount: 1234 }, [])).toMatchObject({ lines: [], goodwill: 1234, value: 1234 });
  });

  it('refuses, naming the field: more units than are left, an unknown SKU, lines with a goodwill amount, a negative fee, nothing at all', () => {
    const problems = (request: Parameters<typeof refundValue>[1]) => {
      try {
        refundValue(order, request, []);
      } catch (error) {
        if (error instanceof ValidationError) return error.details.map((d) => `${d.path}: ${d.message}`);
        throw error;
      }
      return [];
    };
    expect(problems({ lines: [{ sku: 'MUG', quantity: 4 }] })).toEqual(['lines.0.quantity: 4 units of MUG asked, 3 can still be refunded (ordered 3)']);
    expect(problems({ lines: [{ sku: 'HAT', quantity: 1 }] })).toEqual(['lines.0.sku: The order has no line with SKU HAT']);
    expect(problems({ lines: [{ sku: 'MUG', quantity: 1 }], amount: 100 })[0]).toMatch(/^lines: /);
    expect(problems({ lines: [{ sku: 'MUG', quantity: 1 }], fee: -1 })[0]).toMatch(/^fee: /);
    expect(problems({ amount: 0 })[0]).toMatch(/^amount: /);
    expect(problems({})[0]).toMatch(/^lines: /);
  });

  it('limits: captured (provider), paid (channel), collected once shipped (cash on delivery), minus refunds', () => {
    expect(refundable({ mode: 'provider', captured: 500, amount: 900, refunded: 200 }, true)).toBe(300);
    expect(refundable({ mode: 'channel', captured: 900, amount: 900 }, false)).toBe(900);
    expect(refundable({ mode: 'cash_on_delivery', captured: 0, amount: 900, refunded: 100 }, true)).toBe(800);
    expect(refundable({ mode: 'cash_on_delivery', captured: 0, amount: 900 }, false)).toBe(0);
    // Part of the order shipped: what its shipped parcels were billed, never more than the amount.
    expect(refundable({ mode: 'cash_on_delivery', captured: 0, amount: 900, refunded: 100 }, 400)).toBe(300);
    expect(refundable({ mode: 'cash_on_delivery', captured: 0, amount: 900 }, 1200)).toBe(900);
    expect(splitOverCaptures([{ captureId: 'A', amount: 300, refunded: 250 }, { captureId: 'B', amount: 400 }], 200)).toEqual([
      { captureId: 'A', amount: 50 },
      { captureId: 'B', amount: 150 },
    ]);
  });

  it('a credit note carries the refunded units as invoice lines, references the invoices that covered them, and reads as HTML', () => {
    const invoice = (invoiceId: string, sku: string): Invoice => ({
      ...invoiceBody(order, new Map([[sku, 1]]), new Map(), false),
      invoiceId,
      series: 'INV',
      number: 1,
      orderId: order.orderId,
      issuedAt: '2026-12-01T00:00:00.000Z',
    });
    const value = refundValue(order, { lines: [{ sku: 'TEE', quantity: 1 }], fee: 300 }, []);
    const body = creditNoteBody(order, { refundId: 'R1', reason: 'too small', ...value }, [invoice('INV-000001', 'MUG'), invoice('INV-000002', 'TEE')]);
    expect(body.invoiceIds).toEqual(['INV-000002']);
    expect(body.totals).toEqual({ subtotal: 2500, discount: 0, shipping: 0, tax: 250, fee: 300, goodwill: 0, total: value.value });
    const note: CreditNote = { ...body, creditNoteId: 'CN-000001', series: 'CN', number: 1, issuedAt: '2026-12-02T00:00:00.000Z' };
    const html = renderCreditNoteHtml(note, { name: 'Acme <Shop>' });
    expect(html).toContain('<h1>Credit note CN-000001</h1>');
    expect(html).toContain('Corrects INV-000002');
    expect(html).toContain('Acme &lt;Shop&gt;');
    expect(html).toContain('Restocking fee</td><td class="n">−$3.00');
    expect(html).toContain('<strong>$24.50</strong>');
    const goodwill = creditNoteBody(order, { refundId: 'R2', reason: 'late', ...refundValue(order, { amount: 500 }, []) }, [invoice('INV-000001', 'MUG')]);
    expect(goodwill).toMatchObject({ invoiceIds: ['INV-000001'], lines: [], totals: { goodwill: 500, total: 500 } });
  });
});

describe('the refund issued message', () => {
  it('is wanted once per refund (about the refund id) and says how the money comes back', () => {
    const wanted = notificationForEvent({ detailType: 'RefundIssued', eventId: 'E1', data: { orderId: 'O1', refundId: 'R1', amount: 1250, currency: 'EUR', mode: 'provider', status: 'refunded' } });
    expect(wanted).toEqual({ orderId: 'O1', template: 'refund_issued', about: 'R1', context: { amount: 1250, currency: 'EUR', refundStatus: 'refunded' } });
    const order = placed({ currency: 'EUR', lines: [{ sku: 'MUG', title: 'Mug', quantity: 1, unitPrice: 100, tax: 0, discount: 0 }], shipping: { price: 0, tax: 0 } });
    const text = render('refund_issued', order, wanted?.context ?? {});
    expect(text.subject).toBe('Order O1: refund of €12.50');
    expect(text.text).toContain('We refunded €12.50 to your payment method');
    const atChannel = render('refund_issued', order, { amount: 1250, currency: 'EUR', refundStatus: 'to_refund_at_channel' });
    expect(atChannel.text).toContain('paid back through web');
  });
});
