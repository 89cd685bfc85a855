import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiOrderInput, apiOrderToDraft } from '#shared/channels/api-order.ts';
import { invoiceBody } from '#shared/domain/invoice.ts';
import { linesTotal, type Order } from '#shared/domain/order.ts';
import { captureAmount, unitsOf } from '#shared/domain/payment.ts';

/**
 * Money invariants over random orders placed through the API and shipped in
 * random parcels, computed the way the payment and invoice steps compute
 * them (one shipment after another):
 *  - the order's total is what its lines add up to, and never negative;
 *  - captured ≤ authorized ≤ order total after every capture;
 *  - each shipment's invoice total is exactly the amount captured for it;
 *  - when everything has shipped, the captures (and the invoices) add up to
 *    the order total to the minor unit.
 */

const SKUS = ['MUG', 'TEE', 'CAP', 'BAG'];

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
  lines: fc.array(line, { minLength: 1, maxLength: 6 }),
  shipping: fc.record({ price: fc.integer({ min: 0, max: 5_000 }), tax: fc.integer({ min: 0, max: 1_000 }) }),
});

/** The order's units dealt into parcels: each unit goes to one of `parcels` shipments; empty ones are dropped. */
function parcelsOf(order: Order, assignment: readonly number[], parcels: number): { sku: string; quantity: number }[][] {
  const shipments: Map<string, number>[] = Array.from({ length: parcels }, () => new Map());
  let unit = 0;
  for (const l of order.lines) {
    for (let i = 0; i < l.quantity; i++) {
      const parcel = shipments[(assignment[unit++ % assignment.length] ?? 0) % parcels];
      parcel?.set(l.sku, (parcel.get(l.sku) ?? 0) + 1);
    }
  }
  return shipments.filter((s) => s.size > 0).map((s) => [...s].map(([sku, quantity]) => ({ sku, quantity })));
}

type OrderInput = typeof orderInput extends fc.Arbitrary<infer T> ? T : never;

function placed(input: OrderInput, withTotal: boolean): Order {
  const body = ApiOrderInput.parse({
    channelId: 'web',
    currency: input.currency,
    lines: input.lines,
    shipping: input.shipping,
    fulfillment: { type: 'carry_out', locationId: 'store-1' },
    payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
    ...(withTotal ? { total: input.lines.reduce((sum, l) => sum + l.unitPrice * l.quantity - l.discount + l.tax, input.shipping.price + input.shipping.tax) } : {}),
  });
  const draft = apiOrderToDraft(body, { channelId: 'web', type: 'web' }, 'ext-1', new Date('2026-11-30T12:00:00Z'));
  return { ...draft, orderId: 'O1', status: 'reserved', version: 1, createdAt: draft.channelCreatedAt, updatedAt: draft.channelCreatedAt };
}

describe('money invariants (property-based)', () => {
  it('the captures of an order never exceed its authorization or its total, each shipment is invoiced exactly what was captured for it, and everything shipped adds up to the total', () => {
    fc.assert(
      fc.property(
        orderInput,
        fc.boolean(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (input, withTotal, assignment, parcelCount, authorizedPercent, partialAuthorization) => {
          const order = placed(input, withTotal);
          const total = order.totals.total;
          expect(total).toBe(linesTotal(order));
          expect(total).toBeGreaterThanOrEqual(0);

          // A provider may authorize less than asked (partial authorization); never more.
          const authorized = partialAuthorization ? Math.floor((total * authorizedPercent) / 100) : total;
          expect(authorized).toBeLessThanOrEqual(total);

          let captured = 0;
          let invoiced = 0;
          const capturedUnits: { sku: string; quantity: number }[] = [];
          const shipments = parcelsOf(order, assignment, parcelCount);
          shipments.forEach((lines, index) => {
            const amount = captureAmount(order, unitsOf(capturedUnits), unitsOf(lines), authorized - captured);
            const invoice = invoiceBody(order, unitsOf(lines), unitsOf(capturedUnits), index === 0);
            expect(amount).toBeGreaterThanOrEqual(0);
            if (!partialAuthorization) expect(invoice.totals.total).toBe(amount);
            captured += amount;
            invoiced += invoice.totals.total;
            capturedUnits.push(...lines);
            expect(captured).toBeLessThanOrEqual(authorized);
          });
          expect(invoiced).toBe(total);
          expect(captured).toBe(authorized);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a caller total that is not what the lines add up to is refused, naming both figures', () => {
    fc.assert(
      fc.property(orderInput, fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), (input, offset, above) => {
        const computed = input.lines.reduce((sum, l) => sum + l.unitPrice * l.quantity - l.discount + l.tax, input.shipping.price + input.shipping.tax);
        const claimed = above ? computed + offset : computed - offset;
        fc.pre(claimed >= 0);
        const result = ApiOrderInput.safeParse({
          channelId: 'web',
          currency: input.currency,
          lines: input.lines,
          shipping: input.shipping,
          fulfillment: { type: 'carry_out', locationId: 'store-1' },
          payment: { state: 'paid' },
          total: claimed,
        });
        expect(result.success).toBe(false);
        const issue = result.error?.issues.find((i) => i.path.join('.') === 'total');
        expect(issue?.message).toContain(`(${claimed} minor units)`);
        expect(issue?.message).toContain(`(${computed} minor units)`);
      }),
      { numRuns: 300 },
    );
  });
});
