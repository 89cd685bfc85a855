import { describe, expect, it } from 'vitest';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { applyChannelUpdate } from '#shared/domain/order-updates.ts';
import { initialStatus, type Order, type OrderDraft } from '#shared/domain/order.ts';
import { fixture } from '../support/channel-fixtures.ts';

const draft = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' });
const now = new Date('2026-10-20T00:00:00.000Z');
const order = (overrides: Partial<Order> = {}): Order => ({
  ...draft,
  ...initialStatus(draft),
  orderId: '01M8EJV774P67P6BX5MZSVEP9Q',
  version: 3,
  createdAt: draft.channelCreatedAt,
  updatedAt: draft.channelCreatedAt,
  ...overrides,
});
const later = (changes: Partial<OrderDraft>): OrderDraft => ({ ...draft, channelUpdatedAt: '2026-10-19T00:00:00.000Z', ...changes });

describe('applyChannelUpdate', () => {
  it('changes nothing when the channel sends the same state again', () => {
    expect(applyChannelUpdate(order(), draft, now)).toEqual({ kind: 'unchanged' });
  });

  it('ignores an older state', () => {
    expect(applyChannelUpdate(order(), { ...draft, channelUpdatedAt: '2026-01-01T00:00:00.000Z', notes: 'x' }, now).kind).toBe('stale');
  });

  it('applies address and contact changes before shipment, bumping the version', () => {
    const update = applyChannelUpdate(order(), later({ customer: { ...draft.customer, phone: '+1555' }, notes: 'ring twice' }), now);
    expect(update).toMatchObject({ kind: 'changed', changed: ['customer', 'notes'], refused: [], cancelled: false, order: { version: 4, notes: 'ring twice' } });
  });

  it('lets lines change only before stock is reserved', () => {
    const fewerLines = later({ lines: draft.lines.slice(0, 1) });
    expect(applyChannelUpdate(order({ status: 'received' }), fewerLines, now)).toMatchObject({ changed: ['lines'] });
    expect(applyChannelUpdate(order({ status: 'reserved' }), fewerLines, now)).toMatchObject({ changed: [], refused: ['lines'] });
  });

  it('cancels before shipment and refuses to after', () => {
    expect(applyChannelUpdate(order(), later({ channelState: 'cancelled' }), now)).toMatchObject({ cancelled: true, order: { status: 'cancelled' } });
    const refused = applyChannelUpdate(order({ status: 'shipped' }), later({ channelState: 'cancelled' }), now);
    expect(refused).toMatchObject({ cancelled: false, refused: ['status'], order: { status: 'shipped' } });
    expect(refused.kind === 'changed' && refused.timeline.map((t) => t.type)).toEqual(['cancellation_refused']);
  });

  it('releases a payment hold when the channel confirms payment', () => {
    const held = order({ status: 'on_hold', hold: { reason: 'payment_pending', since: draft.channelCreatedAt }, channelState: 'pending' });
    const update = applyChannelUpdate(held, later({ channelState: 'open', payment: { ...draft.payment, state: 'paid' } }), now);
    expect(update).toMatchObject({ kind: 'changed', order: { status: 'received' } });
    expect(update.kind === 'changed' && update.order.hold).toBeUndefined();
  });

  // The Shopify fixture with its first line's price made negative (as a webhook once carried it).
  const negativeLines = draft.lines.map((line, index) => (index === 0 ? { ...line, unitPrice: -line.unitPrice, subtotal: -line.subtotal } : line));
  const broken = { ...draft, lines: negativeLines };

  it('holds a channel order whose money is negative or does not add up for review, saying why, before anything is reserved or charged', () => {
    const negative = initialStatus(broken);
    expect(negative).toMatchObject({ status: 'on_hold', hold: { reason: 'money_review', since: draft.channelCreatedAt } });
    expect(negative.hold?.note).toContain(`Line ${String(draft.lines[0]?.lineId)} (${String(draft.lines[0]?.sku)}) has a negative price`);
    const mismatch = initialStatus({ ...draft, totals: { ...draft.totals, total: draft.totals.total + 5000 } });
    expect(mismatch).toMatchObject({ status: 'on_hold', hold: { reason: 'money_review' } });
    expect(mismatch.hold?.note).toContain("but the channel's total is");
    // Money review comes before a pending payment: the payment arriving does not make the amounts right.
    expect(initialStatus({ ...broken, channelState: 'pending' })).toMatchObject({ hold: { reason: 'money_review' } });
    // What never reaches our stock or our provider is only recorded.
    expect(initialStatus({ ...broken, channelState: 'cancelled' })).toEqual({ status: 'cancelled' });
    expect(initialStatus({ ...broken, fulfillment: { ...broken.fulfillment, fulfilledBy: 'channel' } })).toEqual({ status: 'fulfilled_by_channel' });
  });

  it('releases a money review when the channel corrects the amounts, and holds an order an update breaks', () => {
    const held = order({ ...broken, ...initialStatus(broken) });
    const corrected = applyChannelUpdate(held, later({ lines: draft.lines }), now);
    expect(corrected).toMatchObject({ kind: 'changed', changed: ['lines', 'hold'], order: { status: 'received' } });
    expect(corrected.kind === 'changed' && corrected.order.hold).toBeUndefined();
    expect(corrected.kind === 'changed' && corrected.timeline.map((t) => t.type)).toEqual(['hold_released', 'updated']);
    // Corrected while the payment is still pending: held for the payment instead.
    const stillUnpaid = applyChannelUpdate({ ...held, channelState: 'pending' }, later({ lines: draft.lines, channelState: 'pending' }), now);
    expect(stillUnpaid).toMatchObject({ order: { status: 'on_hold', hold: { reason: 'payment_pending' } } });

    const breaks = applyChannelUpdate(order({ status: 'received' }), later({ lines: negativeLines }), now);
    expect(breaks).toMatchObject({ kind: 'changed', changed: ['lines', 'hold'], order: { status: 'on_hold', hold: { reason: 'money_review', since: now.toISOString() } } });
    expect(breaks.kind === 'changed' && breaks.timeline.map((t) => t.type)).toEqual(['held', 'updated']);
    // Still broken: stays held, nothing new said about the hold.
    const again = applyChannelUpdate(held, later({ lines: negativeLines, notes: 'x' }), now);
    expect(again).toMatchObject({ changed: ['notes'], order: { hold: { reason: 'money_review', since: draft.channelCreatedAt } } });
    // Once stock is reserved the channel can no longer change lines; the order is not pulled back.
    expect(applyChannelUpdate(order({ status: 'reserved' }), later({ totals: { ...draft.totals, total: -1 } }), now)).toMatchObject({ order: { status: 'reserved' } });
  });
});
