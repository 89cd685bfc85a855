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
});
