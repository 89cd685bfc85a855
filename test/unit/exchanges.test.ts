import { describe, expect, it } from 'vitest';
import { exchangeAction, planExchange, priceReplacement, reshipLines, storeCreditCode, withCredit } from '#shared/domain/exchange.ts';
import { linesTotal, type Order, type OrderLine } from '#shared/domain/order.ts';
import { ReturnRequestInput } from '#shared/domain/return.ts';

const line = (lineId: string, sku: string, quantity: number, unitPrice: number, discount: number, tax: number): OrderLine => ({
  lineId, sku, title: `${sku} title`, quantity, unitPrice, subtotal: unitPrice * quantity, discount, tax, requiresShipping: true,
});

const order = (taxesIncluded = false): Order =>
  ({
    orderId: '01M8EJV774P67P6BX5MZSVEP9Q',
    channel: { channelId: 'web-store', channelType: 'web', externalOrderId: 'W-1' },
    customer: { email: 'ana@example.com' },
    currency: 'USD',
    lines: [line('L1', 'TEE-M', 3, 1999, 100, 479), line('L2', 'MUG', 1, 1250, 0, 100)],
    shipping: { price: 500, tax: 0 },
    totals: { subtotal: 7247, discount: 100, shipping: 500, tax: 579, total: 8226, taxesIncluded },
    payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' },
  }) as unknown as Order;

describe('exchange pricing', () => {
  it('a like-for-like swap (another size, same line) costs exactly what came back: difference 0 and nothing to charge', () => {
    const { priced, problems } = priceReplacement(order(), [{ lineId: 'L1', quantity: 2 }], [{ sku: 'TEE-L', quantity: 2, replaces: 'L1' }]);
    expect(problems).toEqual([]);
    // 2 of 3 units: floor(5997·2/3)=3998, floor(100·2/3)=66, floor(479·2/3)=319
    expect(priced.credit).toBe(3998 - 66 + 319);
    expect(priced.value).toBe(priced.credit);
    expect(priced.difference).toBe(0);
    expect(priced.lines[0]).toMatchObject({ sku: 'TEE-L', quantity: 2, unitPrice: 1999, title: 'TEE-L' });
    expect(linesTotal({ lines: priced.lines, shipping: { price: 0, tax: 0 } as Order['shipping'], totals: { ...order().totals, shipping: 0 } })).toBe(0);
  });

  it('a cheaper replacement at a staff price leaves a negative difference to refund; a dearer one leaves exactly the difference to charge', () => {
    const cheaper = priceReplacement(order(), [{ lineId: 'L1', quantity: 1 }], [{ sku: 'TEE-SALE', quantity: 1, unitPrice: 1500 }]).priced;
    const credit = 1999 - 33 + 159;
    expect(cheaper.credit).toBe(credit);
    expect(cheaper.value).toBe(1500);
    expect(cheaper.difference).toBe(1500 - credit);
    expect(cheaper.lines.reduce((s, l) => s + l.subtotal - l.discount + l.tax, 0)).toBe(0);
    const dearer = priceReplacement(order(), [{ lineId: 'L2', quantity: 1 }], [{ sku: 'TEE-M', quantity: 1 }]).priced;
    expect(dearer.credit).toBe(1350);
    expect(dearer.value).toBe(1999 - 33 + 159);
    expect(dearer.lines.reduce((s, l) => s + l.subtotal - l.discount + l.tax, 0)).toBe(dearer.difference);
    expect(exchangeAction(order(), dearer.difference)).toBe('authorize');
    expect(exchangeAction({ ...order(), payment: { state: 'paid' } }, dearer.difference)).toBe('collect_at_channel');
    expect(exchangeAction({ ...order(), payment: { state: 'cod' } }, 5)).toBe('collect_on_delivery');
    expect(exchangeAction(order(), -1)).toBe('refund');
    expect(exchangeAction(order(), 0)).toBe('none');
  });

  it('names the field of an unpriceable or foreign replacement line', () => {
    const { problems } = priceReplacement(order(), [{ lineId: 'L1', quantity: 1 }], [{ sku: 'HAT', quantity: 1 }, { sku: 'TEE-L', quantity: 1, replaces: 'L2' }]);
    expect(problems.map((p) => p.path)).toEqual(['exchange.lines.0.unitPrice', 'exchange.lines.1.replaces']);
  });

  it('withCredit takes exactly the credit off, discount first then tax, with prices with or without tax', () => {
    const lines = [line('L1', 'A', 2, 1000, 100, 150), line('L2', 'B', 1, 500, 0, 50)];
    for (const taxed of [true, false]) {
      const value = (ls: OrderLine[]) => ls.reduce((s, l) => s + l.subtotal - l.discount + (taxed ? l.tax : 0), 0);
      for (const credit of [0, 1, 999, 1900, 2000, value(lines)]) {
        const after = withCredit(lines, Math.min(credit, value(lines)), taxed);
        expect(value(after)).toBe(value(lines) - Math.min(credit, value(lines)));
        for (const l of after) expect(l.discount <= l.subtotal && l.tax >= 0).toBe(true);
      }
    }
  });

  it('a reship costs nothing; the default exchange is the returned SKUs and quantities', () => {
    const lines = reshipLines(order(), [{ lineId: 'L1', quantity: 1 }, { lineId: 'L2', quantity: 1 }]);
    expect(lines.map((l) => [l.sku, l.quantity])).toEqual([['TEE-M', 1], ['MUG', 1]]);
    expect(lines.reduce((s, l) => s + l.subtotal - l.discount + l.tax, 0)).toBe(0);
    const input = ReturnRequestInput.parse({ lines: [{ lineId: 'L1', quantity: 1, reason: 'size' }], resolution: 'exchange' });
    const { exchange } = planExchange(order(), [{ lineId: 'L1', sku: 'TEE-M', quantity: 1 }], input, 'receipt');
    expect(exchange).toMatchObject({ lines: [{ sku: 'TEE-M', quantity: 1, replaces: 'L1' }], difference: 0, action: 'none', shipsOn: 'receipt' });
    const refused = planExchange(order(), [], { resolution: 'refund', exchange: { lines: [{ sku: 'A', quantity: 1 }] } }, 'receipt');
    expect(refused.problems[0]?.path).toBe('exchange');
  });

  it('store-credit codes are SC- and 16 unambiguous characters', () => {
    const code = storeCreditCode(new Uint8Array(16).map((_, i) => i * 17));
    expect(code).toMatch(/^SC-[2-9A-HJ-NP-Z]{16}$/);
  });
});

describe('exchange keys', () => {
  it('claims live in the order partition outside the range every order read fetches; store credit is found by a hashed, case-blind e-mail', async () => {
    const { keys } = await import('#shared/store/keys.ts');
    const claim = keys.claim('01J0', '01J1');
    expect(claim.PK).toBe(keys.orderPartition('01J0'));
    const { from, to } = keys.orderBodyRange;
    expect(claim.SK >= from && claim.SK <= to).toBe(false);
    expect(keys.storeCreditByEmail('Ada@Example.com', 't', 'SC-1').GSI1PK).toBe(keys.storeCreditByEmailPartition('ada@example.com'));
    expect(keys.storeCreditByEmailPartition('ada@example.com')).not.toContain('ada');
  });
});
