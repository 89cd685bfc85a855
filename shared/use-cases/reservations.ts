import { OrderBackordered } from '#events/order-backordered.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { eventOrder } from '#events/order-payload.ts';
import { ShipmentShipped } from '#events/shipment-shipped.ts';
import { StockReleased } from '#events/stock-released.ts';
import { StockReserved } from '#events/stock-reserved.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, InventoryConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { backorderable, type PositionChange } from '#shared/domain/inventory.ts';
import type { Location } from '#shared/domain/location.ts';
import { SHIPPED_OR_LATER, type Order, type TimelineEntry } from '#shared/domain/order.ts';
import { mergeAllocations, needs, planReservation, type Allocation, type Need, type Reservation } from '#shared/domain/reservation.ts';
import type { InventoryRepository, OrderRepository } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { pause } from './inventory.ts';
import { assertOrderId } from './orders.ts';

export interface ReservationDeps {
  orders: Pick<OrderRepository, 'get' | 'update'>;
  inventory: InventoryRepository;
  /** Active locations (a cached read: configuration changes rarely). */
  activeLocations(): Promise<Location[]>;
  clock: Clock;
  /** How long an unpaid order (payment pending) keeps its stock. */
  unpaidReservationMinutes: number;
  random?: () => number;
  /** Benchmarks pass a counter to learn the write units a reservation costs. */
  capacity?: { writeUnits: number };
}

export type ReservationOutcome =
  | { outcome: 'reserved' | 'backordered' | 'held'; orderId: string; allocations: Allocation[]; shortages: Need[]; attempts: number }
  /** Nothing to do: not reservable now (cancelled, paid elsewhere, already reserved), or still short as before. */
  | { outcome: 'skipped' | 'unchanged'; orderId: string; reason: string; attempts: number };

/** Where an order may take stock from: the placeholder rule (routing replaces it). */
export function eligibleLocations(order: Order, locations: readonly Location[]): Set<string> {
  if (order.fulfillment.type !== 'ship') {
    const store = locations.find((l) => l.locationId === order.fulfillment.locationId && l.active);
    return new Set(store && (order.fulfillment.type === 'carry_out' || store.capabilities.includes('pickup')) ? [store.locationId] : []);
  }
  return new Set(locations.filter((l) => l.active && l.capabilities.includes('ship')).map((l) => l.locationId));
}

function reservable(order: Order): string | undefined {
  if (order.fulfillment.fulfilledBy === 'channel') return 'fulfilled by the channel';
  if (order.status === 'received' || order.status === 'backordered') return undefined;
  if (order.status === 'on_hold' && order.hold?.reason === 'out_of_stock') return undefined;
  return `order is ${order.status}${order.hold ? ` (${order.hold.reason})` : ''}`;
}

/**
 * Reserves what an order still needs — the whole order when it is received,
 * the missing units when it is backordered or held for stock. All lines are
 * summed per SKU and reserved in ONE TransactWriteItems: every stock update
 * carries `available >= qty`, the reservation record, the order's new status,
 * its timeline and its events are written with it. No lock, no
 * read-then-write: a lost race fails a condition and the order is re-planned
 * on fresh stock, a bounded number of times.
 */
export async function reserveOrder(deps: ReservationDeps, command: { orderId: string } & Actor): Promise<ReservationOutcome> {
  const random = deps.random ?? Math.random;
  for (let attempt = 1; attempt <= 12; attempt++) {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    const notReservable = reservable(order);
    if (notReservable) return { outcome: 'skipped', orderId: order.orderId, reason: notReservable, attempts: attempt };
    const existing = await deps.inventory.reservation(order.orderId);
    const demand = needs(order.lines, [...(existing?.allocations ?? []), ...(existing?.sold ?? [])]);
    if (demand.length === 0 && order.status !== 'received') return { outcome: 'skipped', orderId: order.orderId, reason: 'already fully reserved', attempts: attempt };

    const now = deps.clock.now();
    const [stocks, locations] = await Promise.all([deps.inventory.positionsOf(demand.map((d) => d.sku)), deps.activeLocations()]);
    const plan = planReservation(
      demand,
      new Map([...stocks].map(([sku, stock]) => [sku, stock.positions])),
      eligibleLocations(order, locations),
      random,
    );
    const canWait = plan.shortages.every((s) => backorderable(stocks.get(s.sku)?.policy ?? { backorder: 'not_allowed', shards: 1, reorderPoint: 0, channelBuffers: {} }, now));
    const outcome: 'reserved' | 'backordered' | 'held' = plan.shortages.length === 0 ? 'reserved' : canWait ? 'backordered' : 'held';
    // Held orders reserve nothing new: their stock stays free for orders that can be served.
    const taken = outcome === 'held' ? [] : plan.allocations;
    const nextStatus = outcome === 'reserved' ? 'reserved' : outcome === 'backordered' ? 'backordered' : 'on_hold';
    const shortagesBefore = JSON.stringify(existing?.backordered ?? []);
    if (taken.length === 0 && nextStatus === order.status && JSON.stringify(plan.shortages) === shortagesBefore) {
      return { outcome: 'unchanged', orderId: order.orderId, reason: 'still short of stock', attempts: attempt };
    }

    const at = now.toISOString();
    const placedAt = order.channelCreatedAt;
    const shortNow = new Set(plan.shortages.map((s) => s.sku));
    const shortBefore = new Set((existing?.backordered ?? []).map((s) => s.sku));
    const waiting = {
      add: [...shortNow].filter((sku) => !shortBefore.has(sku)).map((sku) => ({ sku, placedAt, orderId: order.orderId })),
      remove: [...shortBefore].filter((sku) => !shortNow.has(sku)).map((sku) => ({ sku, placedAt, orderId: order.orderId })),
    };
    // One transaction holds at most 100 items: two per position, the waiting entries, the record, the order, its timeline and events.
    const positions = mergeAllocations([...(existing?.allocations ?? []), ...taken]).length;
    if (positions > MAX_POSITIONS_PER_ORDER || 2 * taken.length + waiting.add.length + waiting.remove.length + 8 > MAX_TRANSACTION_ITEMS) {
      return holdTooLarge(deps, order, demand, positions, command, attempt);
    }
    const unpaid = order.payment.state === 'pending';
    const record: Reservation = {
      orderId: order.orderId,
      status: 'active',
      allocations: mergeAllocations([...(existing?.allocations ?? []), ...taken]),
      backordered: plan.shortages,
      sold: existing?.sold ?? [],
      ...(unpaid ? { paymentDueBy: existing?.paymentDueBy ?? new Date(now.getTime() + deps.unpaidReservationMinutes * 60_000).toISOString() } : {}),
      version: (existing?.version ?? 0) + 1,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    const next: Order = {
      ...order,
      status: nextStatus,
      version: order.version + 1,
      updatedAt: at,
      ...(outcome === 'held' ? { hold: { reason: 'out_of_stock' as const, since: order.hold?.since ?? at } } : {}),
    };
    if (outcome !== 'held') delete next.hold;
    const context = { occurredAt: now, ...actorOf(command) };
    const events: OutboxEvent[] = [];
    if (taken.length > 0) {
      events.push(StockReserved.create({ orderId: order.orderId, status: outcome === 'reserved' ? 'reserved' : 'backordered', allocations: taken, backordered: plan.shortages }, context));
    }
    if (plan.shortages.length > 0 && JSON.stringify(plan.shortages) !== shortagesBefore) {
      events.push(OrderBackordered.create({ orderId: order.orderId, held: outcome === 'held', shortages: plan.shortages }, context));
    }
    try {
      await deps.inventory.commit({
        changes: taken.map((a): PositionChange => ({ ...a, onHandDelta: 0, reservedDelta: a.quantity, safetyStockDelta: 0, requires: { availableAtLeast: a.quantity, exists: true }, type: 'reservation' })),
        ledgerId: `reserve:${order.orderId}:${record.version}`,
        actor: command.actor,
        at,
        reference: order.orderId,
        reservation: { record, expectedVersion: existing?.version ?? null },
        order: { next, expectedVersion: order.version },
        timeline: { orderId: order.orderId, entries: reservationTimeline(order, outcome, taken, plan.shortages, at, command) },
        waiting,
        events,
        // Unique per attempt: it only makes the SDK's own retries of this request safe.
        idempotencyToken: `reserve:${order.orderId}:${newId()}`,
        ...(deps.capacity ? { capacity: deps.capacity } : {}),
      });
      return { outcome, orderId: order.orderId, allocations: taken, shortages: plan.shortages, attempts: attempt };
    } catch (error) {
      if (!(error instanceof InventoryConflictError)) throw error;
      // Someone took the stock (position), or the order/reservation moved on: decide again on fresh state.
      await pause(attempt);
    }
  }
  throw new ConcurrentModificationError(`Could not reserve order ${command.orderId}: stock kept changing`);
}

/** Stock positions one order may hold: its release or sale must still fit in one transaction. */
export const MAX_POSITIONS_PER_ORDER = 40;
const MAX_TRANSACTION_ITEMS = 100;

/**
 * An order whose reservation cannot be one transaction is held for a person
 * to split, reserving nothing: partial, non-atomic reservations would break
 * the guarantee that an order's lines are reserved together.
 */
async function holdTooLarge(deps: ReservationDeps, order: Order, demand: Need[], positions: number, command: Actor, attempt: number): Promise<ReservationOutcome> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const next: Order = { ...order, status: 'on_hold', hold: { reason: 'too_large', since: at }, version: order.version + 1, updatedAt: at };
  const context = { occurredAt: now, ...actorOf(command) };
  try {
    await deps.inventory.commit({
      changes: [],
      ledgerId: `hold:${order.orderId}:${next.version}`,
      actor: command.actor,
      at,
      order: { next, expectedVersion: order.version },
      timeline: {
        orderId: order.orderId,
        entries: [
          {
            at,
            type: 'held',
            actor: command.actor,
            message: `Held: reserving this order needs ${positions} stock positions; one reservation holds at most ${MAX_POSITIONS_PER_ORDER}. Split the order into smaller ones. Nothing reserved.`,
            ...(command.correlationId ? { correlationId: command.correlationId } : {}),
            data: { positions, limit: MAX_POSITIONS_PER_ORDER },
          },
        ],
      },
      events: [OrderBackordered.create({ orderId: order.orderId, held: true, reason: 'too_large', shortages: demand }, context)],
    });
  } catch (error) {
    if (!(error instanceof InventoryConflictError)) throw error;
    throw new ConcurrentModificationError(`Order ${order.orderId} changed while it was being held`);
  }
  return { outcome: 'held', orderId: order.orderId, allocations: [], shortages: demand, attempts: attempt };
}

function reservationTimeline(order: Order, outcome: 'reserved' | 'backordered' | 'held', taken: Allocation[], shortages: Need[], at: string, actor: Actor): TimelineEntry[] {
  const entry = (type: string, message: string, data?: Record<string, unknown>): TimelineEntry => ({
    at,
    type,
    actor: actor.actor,
    message,
    ...(actor.correlationId ? { correlationId: actor.correlationId } : {}),
    ...(data ? { data } : {}),
  });
  const where = taken.map((a) => `${a.quantity} × ${a.sku} at ${a.locationId}`).join(', ');
  const short = shortages.map((s) => `${s.quantity} × ${s.sku}`).join(', ');
  const entries: TimelineEntry[] = [];
  if (taken.length > 0) entries.push(entry('stock_reserved', `Reserved ${where}.`, { allocations: taken }));
  if (outcome === 'backordered') entries.push(entry('backordered', `Backordered ${short}: reserved when stock arrives.`, { shortages }));
  if (outcome === 'held') entries.push(entry('held', `Held: out of stock for ${short}, and backorders are not allowed. Nothing reserved.`, { shortages }));
  if (outcome === 'reserved' && order.status !== 'received') entries.push(entry('backorder_filled', 'Every unit is now reserved.'));
  return entries;
}

/**
 * Where an order's reserved units are now: a hot-SKU shard that was merged
 * handed its reservations to shard 0, so an allocation whose shard no longer
 * holds them points at shard 0.
 */
async function locate(inventory: InventoryRepository, allocations: readonly Allocation[]): Promise<Allocation[]> {
  if (allocations.every((a) => a.shard === 0)) return [...allocations];
  const stocks = await inventory.positionsOf([...new Set(allocations.map((a) => a.sku))]);
  return mergeAllocations(
    allocations.map((a) => {
      if (a.shard === 0) return a;
      const position = stocks.get(a.sku)?.positions.find((p) => p.locationId === a.locationId && p.shard === a.shard);
      return position && position.reserved >= a.quantity ? a : { ...a, shard: 0 };
    }),
  );
}

/** Gives an order's reserved units back (cancellation, or an unpaid order whose reservation lapsed). */
export async function releaseOrder(
  deps: Pick<ReservationDeps, 'orders' | 'inventory' | 'clock'>,
  command: { orderId: string; reason: 'cancelled' | 'payment_expired' } & Actor,
): Promise<{ outcome: 'released' | 'skipped'; allocations: Allocation[] }> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const stored = await deps.inventory.reservation(command.orderId);
    if (!stored || stored.status !== 'active') return { outcome: 'skipped', allocations: [] };
    const reservation = { ...stored, allocations: await locate(deps.inventory, stored.allocations) };
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (command.reason === 'payment_expired' && order.payment.state !== 'pending') return { outcome: 'skipped', allocations: [] };
    const now = deps.clock.now();
    const at = now.toISOString();
    const expired = command.reason === 'payment_expired';
    const next: Order | undefined = expired
      ? { ...order, status: 'on_hold', hold: { reason: 'payment_pending', since: at }, version: order.version + 1, updatedAt: at }
      : undefined;
    try {
      await deps.inventory.commit({
        changes: reservation.allocations.map((a) => ({
          ...a,
          onHandDelta: 0,
          reservedDelta: -a.quantity,
          safetyStockDelta: 0,
          requires: { reservedAtLeast: a.quantity, exists: true },
          type: 'release' as const,
        })),
        ledgerId: `release:${command.orderId}:${reservation.version}`,
        actor: command.actor,
        at,
        reference: command.orderId,
        reservation: { record: { ...reservation, status: 'released', allocations: [], backordered: [], version: stored.version + 1, updatedAt: at }, expectedVersion: stored.version },
        ...(next ? { order: { next, expectedVersion: order.version } } : {}),
        // An order that held nothing (it only waited for stock) just stops waiting: no stock moved, nothing to say.
        ...(reservation.allocations.length > 0
          ? {
              timeline: {
                orderId: command.orderId,
                entries: [
                  {
                    at,
                    type: 'stock_released',
                    actor: command.actor,
                    message: expired
                      ? 'Payment did not arrive in time: the reserved stock went back to available; the order waits for payment.'
                      : 'Cancelled: the reserved stock went back to available.',
                    data: { allocations: reservation.allocations },
                    ...(command.correlationId ? { correlationId: command.correlationId } : {}),
                  },
                ],
              },
            }
          : {}),
        waiting: { remove: reservation.backordered.map((b) => ({ sku: b.sku, placedAt: order.channelCreatedAt, orderId: order.orderId })) },
        events:
          reservation.allocations.length > 0
            ? [StockReleased.create({ orderId: command.orderId, reason: command.reason, allocations: reservation.allocations }, { occurredAt: now, ...actorOf(command) })]
            : [],
      });
      return { outcome: 'released', allocations: reservation.allocations };
    } catch (error) {
      if (!(error instanceof InventoryConflictError)) throw error;
      await pause(attempt);
    }
  }
  throw new ConcurrentModificationError(`Could not release order ${command.orderId}: it kept changing`);
}

/**
 * Units left a location: their reservation becomes a sale (on hand and
 * reserved both go down; available does not move). The order becomes
 * partially shipped or shipped.
 */
export async function recordShipment(
  deps: Pick<ReservationDeps, 'orders' | 'inventory' | 'clock'>,
  command: {
    orderId: string;
    locationId: string;
    lines: { sku: string; quantity: number }[];
    carrier?: string | undefined;
    trackingNumber?: string | undefined;
  } & Actor,
): Promise<{ shipmentId: string; orderStatus: 'partially_shipped' | 'shipped' }> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    const reservation = await deps.inventory.reservation(command.orderId);
    if (!reservation || reservation.status !== 'active') {
      throw new ConflictError(`Order ${command.orderId} holds no reserved stock (it is ${order.status})`, 'not_reserved');
    }
    const remaining = (await locate(deps.inventory, reservation.allocations)).map((a) => ({ ...a }));
    const sold: Allocation[] = [];
    const problems = [];
    for (const [index, line] of command.lines.entries()) {
      let quantity = line.quantity;
      for (const allocation of remaining.filter((a) => a.sku === line.sku && a.locationId === command.locationId).sort((a, b) => b.quantity - a.quantity)) {
        const take = Math.min(quantity, allocation.quantity);
        if (take === 0) continue;
        allocation.quantity -= take;
        quantity -= take;
        sold.push({ ...allocation, quantity: take });
      }
      if (quantity > 0) {
        problems.push({ in: 'body' as const, path: `lines.${index}.quantity`, message: `Only ${line.quantity - quantity} × ${line.sku} are reserved for this order at ${command.locationId}` });
      }
    }
    if (problems.length > 0) throw new ValidationError('The shipment is more than the order has reserved there', problems);

    const now = deps.clock.now();
    const at = now.toISOString();
    const allSold = mergeAllocations([...reservation.sold, ...sold]);
    const ordered = order.lines.reduce((sum, l) => sum + l.quantity, 0);
    const shippedUnits = allSold.reduce((sum, a) => sum + a.quantity, 0);
    const orderStatus = shippedUnits >= ordered ? 'shipped' : 'partially_shipped';
    const left = remaining.filter((a) => a.quantity > 0);
    const shipmentId = newId();
    try {
      await deps.inventory.commit({
        changes: sold.map((a) => ({
          ...a,
          onHandDelta: -a.quantity,
          reservedDelta: -a.quantity,
          safetyStockDelta: 0,
          requires: { reservedAtLeast: a.quantity, onHandAtLeast: a.quantity, exists: true },
          type: 'sale' as const,
        })),
        ledgerId: `sale:${command.orderId}:${shipmentId}`,
        actor: command.actor,
        at,
        reference: command.orderId,
        reservation: {
          record: { ...reservation, allocations: left, sold: allSold, status: left.length === 0 && reservation.backordered.length === 0 ? 'sold' : 'active', version: reservation.version + 1, updatedAt: at },
          expectedVersion: reservation.version,
        },
        order: { next: { ...order, status: orderStatus, version: order.version + 1, updatedAt: at }, expectedVersion: order.version },
        timeline: {
          orderId: order.orderId,
          entries: [
            {
              at,
              type: 'shipped',
              actor: command.actor,
              message: `Shipped ${command.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')} from ${command.locationId}${command.trackingNumber ? ` (${command.carrier ?? 'carrier'} ${command.trackingNumber})` : ''}.`,
              data: { shipmentId },
              ...(command.correlationId ? { correlationId: command.correlationId } : {}),
            },
          ],
        },
        shipment: { orderId: order.orderId, shipmentId, locationId: command.locationId, lines: command.lines, carrier: command.carrier, trackingNumber: command.trackingNumber, shippedAt: at },
        events: [
          ShipmentShipped.create(
            { orderId: order.orderId, shipmentId, locationId: command.locationId, lines: command.lines, orderStatus, ...(command.carrier ? { carrier: command.carrier } : {}), ...(command.trackingNumber ? { trackingNumber: command.trackingNumber } : {}) },
            { occurredAt: now, ...actorOf(command) },
          ),
        ],
      });
      return { shipmentId, orderStatus };
    } catch (error) {
      if (!(error instanceof InventoryConflictError)) throw error;
      await pause(attempt);
    }
  }
  throw new ConcurrentModificationError(`Could not record the shipment of order ${command.orderId}: it kept changing`);
}

/** `POST /v1/orders/{id}/cancel`: operations cancel an order that has not shipped; its stock is released by the OrderCancelled rule. */
export async function cancelOrder(deps: Pick<ReservationDeps, 'orders' | 'clock'>, command: { orderId: string; reason: string } & Actor): Promise<Order> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (order.status === 'cancelled') return order;
    if (SHIPPED_OR_LATER.includes(order.status)) throw new ConflictError(`Order ${order.orderId} is ${order.status}; it can no longer be cancelled`, 'already_shipped');
    const now = deps.clock.now();
    const at = now.toISOString();
    const next: Order = { ...order, status: 'cancelled', version: order.version + 1, updatedAt: at };
    delete next.hold;
    try {
      await deps.orders.update(next, {
        previous: order,
        timeline: [{ at, type: 'cancelled', actor: command.actor, message: `Cancelled: ${command.reason}`, ...(command.correlationId ? { correlationId: command.correlationId } : {}) }],
        events: [OrderCancelled.create({ ...eventOrder(next), reason: command.reason }, { occurredAt: now, ...actorOf(command) })],
      });
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError)) throw error;
    }
  }
  throw new ConcurrentModificationError(`Order ${command.orderId} kept changing`);
}

/** Scheduled: unpaid orders whose reservation lapsed give their stock back; orders paid meanwhile keep it. */
export async function sweepLapsedReservations(deps: Pick<ReservationDeps, 'orders' | 'inventory' | 'clock'>): Promise<{ released: number; kept: number }> {
  const lapsed = await deps.inventory.lapsedReservations(deps.clock.now(), 48);
  let released = 0;
  let kept = 0;
  for (const { orderId } of lapsed) {
    const result = await releaseOrder(deps, { orderId, reason: 'payment_expired', actor: 'schedule:reservation-expiry' });
    if (result.outcome === 'released') released++;
    else {
      kept++;
      await keepPaidReservation(deps, orderId);
    }
  }
  return { released, kept };
}

/** A reservation whose order got paid no longer expires. */
async function keepPaidReservation(deps: Pick<ReservationDeps, 'inventory' | 'clock'>, orderId: string): Promise<void> {
  const reservation = await deps.inventory.reservation(orderId);
  if (!reservation?.paymentDueBy || reservation.status !== 'active') return;
  const { paymentDueBy: _lapsed, ...rest } = reservation;
  await deps.inventory
    .commit({
      changes: [],
      ledgerId: `keep:${orderId}`,
      actor: 'schedule:reservation-expiry',
      at: deps.clock.now().toISOString(),
      reservation: { record: { ...rest, version: reservation.version + 1, updatedAt: deps.clock.now().toISOString() }, expectedVersion: reservation.version },
      events: [],
    })
    .catch((error: unknown) => {
      if (!(error instanceof InventoryConflictError)) throw error;
    });
}

/** On a receipt: orders waiting for the SKU are served oldest first. */
export async function reserveWaitingOrders(deps: ReservationDeps, command: { sku: string } & Actor): Promise<{ served: string[]; tried: number }> {
  const waiting = await deps.inventory.waitingOrders(command.sku, 25);
  const served: string[] = [];
  for (const { orderId } of waiting) {
    const result = await reserveOrder(deps, { orderId, actor: command.actor, correlationId: command.correlationId });
    if (result.outcome === 'reserved' || result.outcome === 'backordered') served.push(orderId);
  }
  return { served, tried: waiting.length };
}

/** `GET /v1/orders/{orderId}/reservation`. */
export async function getOrderReservation(deps: Pick<ReservationDeps, 'inventory'>, orderId: string): Promise<Reservation> {
  assertOrderId(orderId);
  const reservation = await deps.inventory.reservation(orderId);
  if (!reservation) throw new NotFoundError(`Order ${orderId} has no reservation`);
  return reservation;
}
