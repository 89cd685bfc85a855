import * as z from 'zod';
import { ConflictError, ValidationError } from './errors.ts';
import type { Order, OrderStatus, TimelineEntry } from './order.ts';
import { HoldReason, type HoldPlacedBy, type OrderHold } from './order-hold.ts';

/**
 * Holds placed and released by a person (and by routing rules, see
 * routing-holds.ts): the rules, pure. The use case (shared/use-cases/holds.ts)
 * reads the order and its open fulfillments, asks these functions what the
 * change is, and writes it with its timeline entry and event in one
 * transaction.
 */

/** The longest a hold may last before it is released automatically. */
export const MAX_HOLD_DAYS = 365;

const PersonName = z.string().trim().min(1).max(100).meta({ description: 'The person who holds or releases the order, as the timeline and events name them.', example: 'Ana Lima' });

export const HoldOrderInput = z
  .strictObject({
    reason: HoldReason.exclude(['awaiting_return', 'payment_disputed']),
    by: PersonName,
    note: z.string().trim().min(1).max(2000).optional().meta({ description: 'What to look at; required with reason `other`.' }),
    until: z.iso.datetime().optional().meta({ description: `Release the hold automatically at this instant (in the future, at most ${MAX_HOLD_DAYS} days ahead).` }),
  })
  .meta({ id: 'HoldOrderInput' });
export type HoldOrderInput = z.infer<typeof HoldOrderInput>;

export const ReleaseOrderInput = z
  .strictObject({
    by: PersonName,
    note: z.string().trim().min(1).max(2000).optional().meta({ description: 'Why the hold ends; required to release a `money_review` hold.' }),
  })
  .meta({ id: 'ReleaseOrderInput' });
export type ReleaseOrderInput = z.infer<typeof ReleaseOrderInput>;

/** Statuses in which an order can no longer be held: nothing is left to hand to a location. */
const NOT_HOLDABLE: readonly OrderStatus[] = ['cancelled', 'shipped', 'delivered', 'exception', 'fulfilled_by_channel'];

/** After a release, what the order does next where it stands. */
export type Resumes = 'fulfillment' | 'reservation' | 'none';

/** Reserved units that may still lack a fulfillment: the fulfillOrder workflow runs again. */
const FULFILLS_ON_RELEASE: readonly OrderStatus[] = ['reserved', 'routed', 'fulfilling', 'partially_shipped'];

type Entry = Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>;

/** The actor string of whoever placed or released a hold, for timelines and event metadata. */
export function holdActor(by: HoldPlacedBy | { type: 'schedule' }): string {
  if (by.type === 'person') return `person:${by.name}`;
  if (by.type === 'rule') return `rule:${by.ruleSetId}/${by.ruleId}`;
  if (by.type === 'return') return `return:${by.returnId}`;
  if (by.type === 'provider') return `provider:${by.provider}`;
  return 'schedule:hold-release';
}

function describeHold(hold: OrderHold): string {
  return `${hold.reason} by ${placedByName(hold.placedBy, false)} since ${hold.since}`;
}

/** Who placed a hold, in words (`capital` at the start of a sentence). */
function placedByName(by: HoldPlacedBy, capital: boolean): string {
  if (by.type === 'person') return by.name;
  if (by.type === 'return') return `${capital ? 'Return' : 'return'} ${by.returnId}`;
  if (by.type === 'provider') return `${capital ? 'The' : 'the'} payment provider ${by.provider} (${by.reference})`;
  return capital ? `Routing rule ${by.ruleId}` : `routing rule ${by.ruleId} (${by.ruleSetId})`;
}

/**
 * A person holds an order. Refused (409, nothing written) when the order is
 * cancelled or has shipped, is held already, or is already at a location:
 * open fulfillments are named, and the location has to reject them (they are
 * then re-routed, and not handed anywhere while the order is held) — a hold
 * never takes back work a location may have started. `until` must be ahead
 * (422 naming it).
 */
export function placeHold(
  order: Order,
  input: HoldOrderInput,
  context: { now: Date; openFulfillments: readonly { fulfillmentId: string; locationId: string; status: string }[] },
): { next: Order; hold: OrderHold; entry: Entry } {
  const problems = [];
  if (input.reason === 'other' && !input.note) problems.push({ in: 'body' as const, path: 'note', message: 'Say what to review when the reason is `other`' });
  if (input.until !== undefined) {
    const until = Date.parse(input.until);
    if (until <= context.now.getTime()) problems.push({ in: 'body' as const, path: 'until', message: `Must be in the future (it is ${context.now.toISOString()} now)` });
    else if (until > context.now.getTime() + MAX_HOLD_DAYS * 86_400_000) problems.push({ in: 'body' as const, path: 'until', message: `Must be at most ${MAX_HOLD_DAYS} days ahead` });
  }
  if (problems.length > 0) throw new ValidationError('The hold is not valid', problems);
  if (NOT_HOLDABLE.includes(order.status)) throw new ConflictError(`Order ${order.orderId} is ${order.status}; it can no longer be held`, 'not_holdable');
  if (order.fulfillmentHold) {
    throw new ConflictError(`Order ${order.orderId} is already held (${describeHold(order.fulfillmentHold)})`, 'already_held', [
      { path: 'fulfillmentHold', message: `Release it first (POST /v1/orders/${order.orderId}/release)` },
    ]);
  }
  if (context.openFulfillments.length > 0) {
    const named = context.openFulfillments.map((f) => `${f.fulfillmentId} at ${f.locationId} (${f.status})`).join(', ');
    throw new ConflictError(
      `Order ${order.orderId} is already at a location: ${named}. A hold does not take work back from a location; have it reject the fulfillment (its lines are then re-routed but not handed to a location while the order is held), then hold the order.`,
      'fulfillment_open',
      context.openFulfillments.map((f) => ({ path: 'fulfillments', message: `${f.fulfillmentId} at ${f.locationId} is ${f.status}` })),
    );
  }
  const at = context.now.toISOString();
  const hold: OrderHold = {
    reason: input.reason,
    ...(input.note ? { note: input.note } : {}),
    ...(input.until ? { until: new Date(input.until).toISOString() } : {}),
    since: at,
    placedBy: { type: 'person', name: input.by },
  };
  return { next: { ...order, fulfillmentHold: hold, version: order.version + 1, updatedAt: at }, hold, entry: holdEntry(hold) };
}

/** The timeline entry of a hold, by a person or a rule. */
export function holdEntry(hold: OrderHold): Entry {
  const who = placedByName(hold.placedBy, true);
  return {
    type: 'hold_placed',
    message: `${who} held the order (${hold.reason})${hold.note ? `: ${hold.note}` : ''}.${hold.until ? ` Released automatically at ${hold.until}.` : ''} It still reserves stock, but is not handed to a location until released.`,
    data: { hold },
  };
}

/**
 * The payment provider holds an order (a chargeback: `payment_disputed`; a
 * payment that failed after it was authorized: `payment_review`), so nothing
 * more ships until a person has looked. Unlike a person's hold it does not
 * wait for open fulfillments (parcels at a location go on; nothing new is
 * handed out). Undefined, with why, when the order cannot be held: it has
 * shipped (or been cancelled), or it is held already.
 */
export function providerHold(
  order: Order,
  input: { reason: 'payment_disputed' | 'payment_review'; provider: string; reference: string; note: string },
  now: Date,
): { next: Order; hold: OrderHold; entry: Entry } | { notHeld: string } {
  if (NOT_HOLDABLE.includes(order.status)) return { notHeld: `the order is ${order.status}, so there is nothing left to hold back` };
  if (order.fulfillmentHold) return { notHeld: `it is held already (${describeHold(order.fulfillmentHold)})` };
  const at = now.toISOString();
  const hold: OrderHold = { reason: input.reason, note: input.note.slice(0, 2000), since: at, placedBy: { type: 'provider', provider: input.provider, reference: input.reference } };
  return { next: { ...order, fulfillmentHold: hold, version: order.version + 1, updatedAt: at }, hold, entry: holdEntry(hold) };
}

/**
 * Cancelling an order ends its hold with it: the cancellation clears
 * `fulfillmentHold` (and its release date) in its own transaction, so the
 * `until` sweep never releases a cancelled order and no OrderReleased is
 * published for it (nothing resumes). The words the cancellation's timeline
 * entry adds, or '' for an order that was not held.
 */
export function holdEndedByCancellation(hold: OrderHold | undefined): string {
  if (!hold) return '';
  return ` The ${hold.reason} hold (since ${hold.since}${hold.until ? `, due for release at ${hold.until}` : ''}) ends with it.`;
}

/**
 * A person (or the `until` sweep) releases an order. A hold by a person or
 * a rule ends, and the order goes on where it stands: reserved units get
 * their fulfillments (`resumes: fulfillment`), a backordered order keeps
 * waiting for stock. An order held `money_review` (its channel money does
 * not add up) is released by a person with a note, and goes on to
 * reservation as `received`. Anything else is not held: 409.
 */
export function releaseHold(
  order: Order,
  input: { by: { type: 'person'; name: string } | { type: 'schedule' } | { type: 'return'; returnId: string }; note?: string | undefined },
  now: Date,
): { next: Order; released: 'hold' | 'money_review'; reason: string; resumes: Resumes; entry: Entry } {
  const at = now.toISOString();
  const who = input.by.type === 'person' ? input.by.name : input.by.type === 'return' ? `Return ${input.by.returnId}` : 'The schedule';
  const said = input.note ? `: ${input.note}` : '';
  const hold = order.fulfillmentHold;
  if (hold) {
    const { fulfillmentHold: _released, ...rest } = order;
    const next: Order = { ...rest, version: order.version + 1, updatedAt: at };
    const resumes: Resumes = FULFILLS_ON_RELEASE.includes(order.status) ? 'fulfillment' : order.status === 'received' ? 'reservation' : 'none';
    const then =
      resumes === 'fulfillment'
        ? 'Its reserved units go to their locations.'
        : resumes === 'reservation'
          ? 'It goes on to reservation.'
          : `It stays ${order.status}${order.hold ? ` (${order.hold.reason})` : ''}.`;
    return {
      next,
      released: 'hold',
      reason: hold.reason,
      resumes,
      entry: {
        type: 'hold_released',
        message: `${input.by.type === 'person' ? `${who} released the ${hold.reason} hold${said}.` : input.by.type === 'return' ? `${who} was received: the ${hold.reason} hold ended.` : `The ${hold.reason} hold ended at its release date, ${hold.until ?? at}.`} ${then}`,
        data: { released: 'hold', hold, resumes },
      },
    };
  }
  if (order.status === 'on_hold' && order.hold?.reason === 'money_review') {
    if (input.by.type !== 'person' || !input.note) {
      throw new ValidationError('Releasing a money review needs a note', [{ in: 'body', path: 'note', message: 'Say why the amounts can be taken as they are' }]);
    }
    const { hold: _review, ...rest } = order;
    const next: Order = { ...rest, status: 'received', version: order.version + 1, updatedAt: at };
    return {
      next,
      released: 'money_review',
      reason: 'money_review',
      resumes: 'reservation',
      entry: {
        type: 'hold_released',
        message: `${who} released the money review${said}. The amounts are taken as the channel sent them; the order goes on to reservation.`,
        data: { released: 'money_review', problems: order.hold.note, resumes: 'reservation' },
      },
    };
  }
  const why = order.status === 'on_hold' && order.hold ? ` (it is on_hold for ${order.hold.reason}, which ends by itself: stock, payment or a person splitting or re-routing the order)` : ` (it is ${order.status})`;
  throw new ConflictError(`Order ${order.orderId} is not held${why}`, 'not_held');
}
