import { OrderHeld } from '#events/order-held.ts';
import { OrderReleased } from '#events/order-released.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, NotFoundError, PreconditionFailedError } from '#shared/domain/errors.ts';
import { OPEN_FULFILLMENT } from '#shared/domain/fulfillment.ts';
import { holdActor, placeHold, releaseHold, type HoldOrderInput, type ReleaseOrderInput } from '#shared/domain/holds.ts';
import type { Order } from '#shared/domain/order.ts';
import type { FulfillmentRepository, OrderHoldRepository, OrderRepository } from '#shared/ports.ts';
import { assertOrderId } from './orders.ts';
import { retryOnConflict } from './retry.ts';

export interface HoldDeps {
  orders: Pick<OrderRepository, 'get'>;
  holds: OrderHoldRepository;
  fulfillments: Pick<FulfillmentRepository, 'forOrder'>;
  clock: Clock;
}

/** The order as it is now, checked against the caller's If-Match. */
async function current(deps: Pick<HoldDeps, 'orders'>, orderId: string, ifMatch: number | undefined): Promise<Order> {
  const order = await deps.orders.get(orderId);
  if (!order) throw new NotFoundError(`Order ${orderId} does not exist`);
  if (ifMatch !== undefined && order.version !== ifMatch) throw new PreconditionFailedError(`Order ${orderId} is at version ${order.version}, not ${ifMatch}`);
  return order;
}

/**
 * `POST /v1/orders/{orderId}/hold`: a person holds the order for review. It
 * keeps (or still gets) its stock; no fulfillment is created until it is
 * released. The header, the release date, the timeline entry and OrderHeld
 * are one transaction on the order's version: when two people hold at once,
 * the second re-reads the order, finds it held and gets a 409 (a 412 if it
 * sent If-Match).
 */
export async function holdOrder(deps: HoldDeps, command: { orderId: string; input: HoldOrderInput; ifMatch?: number | undefined; correlationId?: string | undefined }): Promise<Order> {
  assertOrderId(command.orderId);
  return retryOnConflict(
    async () => {
      const order = await current(deps, command.orderId, command.ifMatch);
      const open = (await deps.fulfillments.forOrder(order.orderId)).filter((f) => OPEN_FULFILLMENT.includes(f.status));
      const now = deps.clock.now();
      const { next, hold, entry } = placeHold(order, command.input, { now, openFulfillments: open });
      const actor = holdActor(hold.placedBy);
      const context = { occurredAt: now, actor, correlationId: command.correlationId };
      try {
        await deps.holds.save(next, {
          previous: order,
          timeline: [{ at: now.toISOString(), actor, ...(command.correlationId ? { correlationId: command.correlationId } : {}), ...entry }],
          events: [OrderHeld.create({ orderId: order.orderId, orderStatus: next.status, hold }, context)],
        });
        return next;
      } catch (error) {
        if (error instanceof ConcurrentModificationError && command.ifMatch !== undefined) throw new PreconditionFailedError(`Order ${command.orderId} changed while it was being held`);
        throw error;
      }
    },
    { attempts: 3, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing`) },
  );
}

/**
 * `POST /v1/orders/{orderId}/release`, and the `until` sweep: the hold ends
 * and the order goes on where it stands (OrderReleased's `resumes` starts
 * its fulfillment or its reservation). Releasing an order that is not held
 * is a 409, also for the second of two people releasing at once.
 */
export async function releaseOrderHold(
  deps: Pick<HoldDeps, 'orders' | 'holds' | 'clock'>,
  command: { orderId: string; input: ReleaseOrderInput; ifMatch?: number | undefined; correlationId?: string | undefined },
): Promise<Order> {
  assertOrderId(command.orderId);
  return retryOnConflict(
    async () => {
      const order = await current(deps, command.orderId, command.ifMatch);
      try {
        return await release(deps, order, { by: { type: 'person', name: command.input.by }, note: command.input.note }, command.correlationId);
      } catch (error) {
        if (error instanceof ConcurrentModificationError && command.ifMatch !== undefined) throw new PreconditionFailedError(`Order ${command.orderId} changed while it was being released`);
        throw error;
      }
    },
    { attempts: 3, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing`) },
  );
}

async function release(
  deps: Pick<HoldDeps, 'holds' | 'clock'>,
  order: Order,
  by: { by: { type: 'person'; name: string } | { type: 'schedule' } | { type: 'return'; returnId: string }; note?: string | undefined },
  correlationId: string | undefined,
): Promise<Order> {
  const now = deps.clock.now();
  const { next, released, reason, resumes, entry } = releaseHold(order, by, now);
  const actor = holdActor(by.by);
  await deps.holds.save(next, {
    previous: order,
    timeline: [{ at: now.toISOString(), actor, ...(correlationId ? { correlationId } : {}), ...entry }],
    events: [
      OrderReleased.create(
        { orderId: order.orderId, orderStatus: next.status, released, reason, releasedBy: by.by, ...(by.note ? { note: by.note } : {}), resumes },
        { occurredAt: now, actor, correlationId },
      ),
    ],
  });
  return next;
}

/**
 * Scheduled with the other deadline sweeps (every 5 minutes): holds whose
 * `until` passed are released. One that lost a race with a person (released
 * or changed meanwhile) is left to them; a release date that no longer
 * belongs to the order's hold, or whose order was cancelled, is forgotten.
 */
export async function releaseDueHolds(deps: Pick<HoldDeps, 'orders' | 'holds' | 'clock'>): Promise<{ released: string[] }> {
  const now = deps.clock.now();
  const released: string[] = [];
  for (const due of await deps.holds.releasesDue(now, 48)) {
    const order = await deps.orders.get(due.orderId);
    const hold = order?.fulfillmentHold;
    // A cancelled order is not released (nothing resumes, no OrderReleased): cancellations delete the date with the hold; one left from before that is dropped.
    if (!order || hold?.until !== due.until || order.status === 'cancelled') {
      await deps.holds.dropReleaseDate(due.orderId, due.until);
      continue;
    }
    if (due.until > now.toISOString()) continue;
    try {
      await release(deps, order, { by: { type: 'schedule' } }, undefined);
      released.push(order.orderId);
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
    }
  }
  return { released };
}

/**
 * An exchange's replacement order waits (`awaiting_return`) until its
 * return is received; the exchange releases it then. Idempotent: an order
 * no longer held by that return (released already, or by a person) is left
 * as it is.
 */
export async function releaseReturnHold(deps: Pick<HoldDeps, 'orders' | 'holds' | 'clock'>, command: { orderId: string; returnId: string; correlationId?: string | undefined }): Promise<'released' | 'not_held'> {
  return retryOnConflict<'released' | 'not_held'>(
    async () => {
      const order = await deps.orders.get(command.orderId);
      const hold = order?.fulfillmentHold;
      if (!order || hold?.placedBy.type !== 'return' || hold.placedBy.returnId !== command.returnId) return 'not_held';
      await release(deps, order, { by: { type: 'return', returnId: command.returnId } }, command.correlationId);
      return 'released';
    },
    { attempts: 5, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing`) },
  );
}
