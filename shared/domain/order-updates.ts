import { canonicalJson } from './canonical-json.ts';
import { holdEndedByCancellation } from './holds.ts';
import { SHIPPED_OR_LATER, moneyProblems, moneyReviewEntry, moneyReviewHold, type Order, type OrderDraft, type OrderStatus, type TimelineEntry } from './order.ts';

/** Fields a channel update may change, and the statuses in which it still may. */
const UPDATABLE_UNTIL_SHIPPED = ['customer', 'shippingAddress', 'billingAddress', 'shipping', 'promised', 'payment', 'notes', 'totals', 'warnings'] as const;
/** Lines can change only before stock is reserved against them. */
const LINES_EDITABLE_IN: readonly OrderStatus[] = ['received', 'on_hold'];

export type ChannelUpdate =
  | { kind: 'unchanged' }
  /** The channel sent an older state than the one the order already reflects. */
  | { kind: 'stale'; timeline: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>[] }
  | {
      kind: 'changed';
      order: Order;
      changed: string[];
      refused: string[];
      cancelled: boolean;
      timeline: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>[];
    };

/**
 * What a later delivery of a channel order (update, cancellation, a poll that
 * saw a newer state) does to the OMS order. A channel may change an order only
 * where that is still allowed; whatever is refused is said on the timeline.
 * Pure: the caller writes the result.
 */
export function applyChannelUpdate(order: Order, draft: OrderDraft, now: Date): ChannelUpdate {
  if (Date.parse(draft.channelUpdatedAt) < Date.parse(order.channelUpdatedAt)) {
    return {
      kind: 'stale',
      timeline: [
        {
          type: 'channel_update_ignored',
          message: `The channel sent the order as of ${draft.channelUpdatedAt}, older than the ${order.channelUpdatedAt} already applied; ignored.`,
        },
      ],
    };
  }
  const timeline: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>[] = [];
  const shipped = SHIPPED_OR_LATER.includes(order.status);
  const next: Order = { ...order, channelUpdatedAt: draft.channelUpdatedAt };
  const changed: string[] = [];
  const refused: string[] = [];

  let cancelled = false;
  if (draft.channelState === 'cancelled' && order.status !== 'cancelled') {
    if (shipped) {
      refused.push('status');
      timeline.push({ type: 'cancellation_refused', message: `The channel cancelled the order, but it is already ${order.status}; not cancelled.` });
    } else {
      cancelled = true;
      next.status = 'cancelled';
      next.channelState = 'cancelled';
      delete next.hold;
      // A hold (review, release date) ends with the order; the repository deletes its release date in the same transaction.
      delete next.fulfillmentHold;
      changed.push('status');
      timeline.push({ type: 'cancelled', message: `Cancelled at the channel.${holdEndedByCancellation(order.fulfillmentHold)}`, ...(order.fulfillmentHold ? { data: { holdEnded: order.fulfillmentHold } } : {}) });
    }
  }

  for (const field of UPDATABLE_UNTIL_SHIPPED) {
    if (canonicalJson(order[field]) === canonicalJson(draft[field])) continue;
    if (shipped) {
      refused.push(field);
      continue;
    }
    (next as Record<string, unknown>)[field] = draft[field];
    changed.push(field);
  }
  if (canonicalJson(order.lines) !== canonicalJson(draft.lines)) {
    if (LINES_EDITABLE_IN.includes(order.status)) {
      next.lines = draft.lines;
      changed.push('lines');
    } else refused.push('lines');
  }
  if (order.hold?.reason === 'payment_pending' && draft.channelState === 'open' && !cancelled) {
    delete next.hold;
    next.status = 'received';
    next.channelState = 'open';
    changed.push('hold');
    timeline.push({ type: 'hold_released', message: 'Payment confirmed at the channel; the order is no longer held.' });
  }
  // Money is checked again whenever the order can still take it: amounts the
  // channel corrected release a money_review hold, broken ones put the order
  // on it before anything is reserved or charged.
  if (!cancelled && (next.status === 'received' || next.status === 'on_hold')) {
    const problems = moneyProblems(next);
    const heldForMoney = next.hold?.reason === 'money_review';
    if (problems.length > 0 && !heldForMoney && (next.status === 'received' || next.hold?.reason === 'payment_pending')) {
      next.status = 'on_hold';
      next.hold = moneyReviewHold(problems, now.toISOString());
      changed.push('hold');
      timeline.push(moneyReviewEntry(next.hold.note));
    } else if (problems.length === 0 && heldForMoney) {
      if (draft.channelState === 'pending') next.hold = { reason: 'payment_pending', since: now.toISOString() };
      else {
        delete next.hold;
        next.status = 'received';
      }
      changed.push('hold');
      timeline.push({ type: 'hold_released', message: `The channel corrected the amounts; the order is no longer held for money review${next.hold ? ' (its payment is still pending)' : ''}.` });
    }
  }

  const fieldChanges = changed.filter((field) => field !== 'status' && field !== 'hold');
  if (fieldChanges.length > 0) {
    timeline.push({ type: 'updated', message: `Updated from the channel: ${fieldChanges.join(', ')}.`, data: { fields: fieldChanges } });
  }
  const refusedFields = refused.filter((field) => field !== 'status');
  if (refusedFields.length > 0) {
    timeline.push({
      type: 'update_refused',
      message: `The channel changed ${refusedFields.join(', ')}, but the order is ${order.status}; not applied.`,
      data: { fields: refusedFields },
    });
  }
  if (changed.length === 0 && refused.length === 0) return { kind: 'unchanged' };
  return {
    kind: 'changed',
    order: changed.length > 0 ? { ...next, version: order.version + 1, updatedAt: now.toISOString() } : { ...order, channelUpdatedAt: draft.channelUpdatedAt, version: order.version + 1, updatedAt: now.toISOString() },
    changed,
    refused,
    cancelled,
    timeline,
  };
}
