import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderReceived } from '#events/order-received.ts';
import { OrderUpdated } from '#events/order-updated.ts';
import { eventOrder } from '#events/order-payload.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { pseudonymiseOrder, type ErasureMark } from '#shared/domain/customer.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { applyChannelUpdate } from '#shared/domain/order-updates.ts';
import { initialStatus, moneyReviewEntry, type Order, type OrderDraft, type TimelineEntry } from '#shared/domain/order.ts';
import type { OrderRepository, OrderSource } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { retryOnConcurrentModification } from './retry.ts';

export interface CaptureDeps {
  orders: OrderRepository;
  clock: Clock;
}

export type CaptureOutcome =
  /** A new OMS order. */
  | 'created'
  /** A later state of a known order, applied (or partly refused, on the timeline). */
  | 'updated'
  /** The same state again by another delivery (a poll after a webhook): kept as a source, nothing else. */
  | 'unchanged'
  /** This very delivery again (a retry): nothing written. */
  | 'duplicate'
  /** An older state than the one applied: ignored, said on the timeline. */
  | 'stale';

/**
 * Captures one channel order, exactly once: the first delivery creates the
 * order (the conditional put on the channel-order reference decides who is
 * first under concurrency), later ones update it where that is still allowed.
 * Every delivery is kept raw on the order; every change comes with its
 * timeline entries and its event, in the same transaction.
 */
export async function captureOrder(
  deps: CaptureDeps,
  command: { draft: OrderDraft; source: OrderSource } & Actor,
): Promise<{ outcome: CaptureOutcome; order: Order }> {
  const { draft, source } = command;
  return retryOnConcurrentModification(async () => {
    const now = deps.clock.now();
    const at = now.toISOString();
    const context = { occurredAt: now, ...actorOf(command) };
    const entry = (e: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>): TimelineEntry => ({
      at,
      actor: command.actor,
      ...(command.correlationId ? { correlationId: command.correlationId } : {}),
      ...e,
    });
    const existing = await deps.orders.findByChannelRef(draft.channel.channelId, draft.channel.externalOrderId);

    if (!existing) {
      const order: Order = { ...draft, ...initialStatus(draft), orderId: newId(), version: 1, createdAt: at, updatedAt: at };
      const created = await deps.orders.create(order, {
        timeline: receivedTimeline(order, source).map(entry),
        source,
        events: [
          OrderReceived.create(eventOrder(order), context),
          ...(order.status === 'cancelled' ? [OrderCancelled.create({ ...eventOrder(order), reason: 'cancelled at the channel' }, context)] : []),
        ],
      });
      if (created === 'created') return { outcome: 'created' as const, order };
      // Another delivery of the same channel order won the race: read what it created and apply ours to it.
      throw new ConcurrentModificationError(`Channel order ${draft.channel.externalOrderId} was captured concurrently`);
    }

    // An erased order stays erased: a later delivery updates it without its personal data, and its raw payload is not kept.
    if (existing.erasure) return captureErased(deps, { ...existing, erasure: existing.erasure }, draft, source, entry, context);
    const update = applyChannelUpdate(existing, draft, now);
    if (update.kind === 'unchanged') {
      const kept = await deps.orders.addSource(existing.orderId, source);
      return { outcome: kept ? ('unchanged' as const) : ('duplicate' as const), order: existing };
    }
    if (update.kind === 'stale') {
      const kept = await deps.orders.addSource(existing.orderId, source);
      if (!kept) return { outcome: 'duplicate' as const, order: existing };
      await deps.orders.update({ ...existing, version: existing.version + 1, updatedAt: at }, { previous: existing, timeline: update.timeline.map(entry), events: [] });
      return { outcome: 'stale' as const, order: existing };
    }
    const events = [
      ...(update.cancelled ? [OrderCancelled.create({ ...eventOrder(update.order), reason: 'cancelled at the channel' }, context)] : []),
      ...(update.changed.some((field) => field !== 'status') || update.refused.length > 0
        ? [OrderUpdated.create({ ...eventOrder(update.order), changed: update.changed, refused: update.refused }, context)]
        : []),
    ];
    await deps.orders.update(update.order, { previous: existing, timeline: update.timeline.map(entry), source, events });
    return { outcome: 'updated' as const, order: update.order };
  }, 5);
}

/** A delivery for an order whose customer was erased: applied as a pseudonymised draft, kept as a source without headers or body. */
async function captureErased(
  deps: CaptureDeps,
  existing: Order & { erasure: ErasureMark },
  draft: OrderDraft,
  source: OrderSource,
  entry: (e: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>) => TimelineEntry,
  context: { occurredAt: Date } & Actor,
): Promise<{ outcome: CaptureOutcome; order: Order }> {
  const { erasure: _mark, ...pseudonymous } = pseudonymiseOrder(draft, existing.erasure);
  const stripped: OrderSource = { ...source, headers: {}, body: JSON.stringify({ erased: existing.erasure.erasureId }) };
  const update = applyChannelUpdate(existing, pseudonymous, context.occurredAt);
  if (update.kind !== 'changed') {
    const kept = await deps.orders.addSource(existing.orderId, stripped);
    return { outcome: kept ? ('unchanged' as const) : ('duplicate' as const), order: existing };
  }
  const order: Order = { ...update.order, erasure: existing.erasure };
  const events = [
    ...(update.cancelled ? [OrderCancelled.create({ ...eventOrder(order), reason: 'cancelled at the channel' }, context)] : []),
    ...(update.changed.some((field) => field !== 'status') || update.refused.length > 0
      ? [OrderUpdated.create({ ...eventOrder(order), changed: update.changed, refused: update.refused }, context)]
      : []),
  ];
  await deps.orders.update(order, { previous: existing, timeline: update.timeline.map(entry), source: stripped, events });
  return { outcome: 'updated' as const, order };
}

function receivedTimeline(order: Order, source: OrderSource): Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>[] {
  const how = source.via === 'api' ? 'the API' : `${source.via}${source.topic ? ` ${source.topic}` : ''}`;
  const entries: Omit<TimelineEntry, 'at' | 'actor' | 'correlationId'>[] = [
    {
      type: 'received',
      message: `Received from ${order.channel.channelType} channel ${order.channel.channelId} (${how}) as ${order.channel.externalNumber ?? order.channel.externalOrderId}.`,
      data: { deliveryId: source.deliveryId, via: source.via },
    },
  ];
  if (order.hold?.reason === 'payment_pending') entries.push({ type: 'held', message: 'Held: payment is still pending at the channel.' });
  if (order.status === 'cancelled') entries.push({ type: 'cancelled', message: 'The channel had already cancelled this order.' });
  if (order.status === 'fulfilled_by_channel') entries.push({ type: 'fulfilled_by_channel', message: 'Fulfilled by the channel (e.g. Amazon FBA): recorded only, never routed to our locations.' });
  for (const warning of order.warnings) entries.push({ type: 'warning', message: warning.message, data: { code: warning.code, ...warning.details } });
  if (order.hold?.reason === 'money_review') entries.push(moneyReviewEntry(order.hold.note));
  return entries;
}
