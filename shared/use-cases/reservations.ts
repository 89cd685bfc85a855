import { OrderBackordered } from '#events/order-backordered.ts';
import { OrderCancelled } from '#events/order-cancelled.ts';
import { OrderHeld } from '#events/order-held.ts';
import { eventOrder } from '#events/order-payload.ts';
import { ShipmentShipped } from '#events/shipment-shipped.ts';
import { StockReleased } from '#events/stock-released.ts';
import { StockReserved } from '#events/stock-reserved.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, InventoryConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { DEFAULT_POLICY, backorderable, type PositionChange } from '#shared/domain/inventory.ts';
import type { Fulfillment } from '#shared/domain/fulfillment.ts';
import type { Location } from '#shared/domain/location.ts';
import { SHIPPED_OR_LATER, type Order, type OrderStatus, type TimelineEntry } from '#shared/domain/order.ts';
import { allocateShipments, mergeAllocations, needs, type Allocation, type Need, type Reservation } from '#shared/domain/reservation.ts';
import { route, type RoutingDecision, type RuleSet } from '#shared/domain/routing.ts';
import { holdActor, holdEndedByCancellation, holdEntry } from '#shared/domain/holds.ts';
import { reviewOrder } from '#shared/domain/routing-holds.ts';
import type { InventoryRepository, OrderRepository } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { assertOrderId } from './orders.ts';
import { isInventoryConflict, retryOnConflict, STOCK_TRANSACTION_ATTEMPTS } from './retry.ts';

export interface ReservationDeps {
  orders: Pick<OrderRepository, 'get' | 'update'>;
  inventory: InventoryRepository;
  /** Active locations (a cached read: configuration changes rarely). */
  activeLocations(): Promise<Location[]>;
  /** The routing rule set for a channel's orders: the channel's own, else `default`, else the built-in one (cached read). */
  ruleSetFor(channelId: string): Promise<RuleSet>;
  clock: Clock;
  /** How long an unpaid order (payment pending) keeps its stock. */
  unpaidReservationMinutes: number;
  random?: () => number;
  /** Benchmarks pass a counter to learn the write units a reservation costs. */
  capacity?: { writeUnits: number };
}

export type ReservationOutcome =
  | { outcome: 'reserved' | 'backordered' | 'held'; orderId: string; allocations: Allocation[]; shortages: Need[]; attempts: number; routing?: RoutingDecision }
  /** Nothing to do: not reservable now (cancelled, paid elsewhere, already reserved), or still short as before. */
  | { outcome: 'skipped' | 'unchanged'; orderId: string; reason: string; attempts: number };

const IN_FLIGHT: readonly OrderStatus[] = ['routed', 'fulfilling', 'partially_shipped'];

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
  // 12 runs: under a flash sale every order of a hot SKU takes from the same positions; each lost race re-plans on fresh stock.
  return retryOnConflict(async (attempt): Promise<ReservationOutcome> => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    const existing = await deps.inventory.reservation(order.orderId);
    // An order already on its way whose re-routed lines wait for stock is topped up where it stands.
    const topUp = IN_FLIGHT.includes(order.status) && existing?.status === 'active' && existing.backordered.length > 0;
    const notReservable = topUp ? undefined : reservable(order);
    if (notReservable) return { outcome: 'skipped', orderId: order.orderId, reason: notReservable, attempts: attempt };
    const demand = needs(order.lines, [...(existing?.allocations ?? []), ...(existing?.sold ?? [])]);
    if (demand.length === 0 && order.status !== 'received') return { outcome: 'skipped', orderId: order.orderId, reason: 'already fully reserved', attempts: attempt };

    const now = deps.clock.now();
    const [stocks, locations, ruleSet] = await Promise.all([
      deps.inventory.positionsOf(demand.map((d) => d.sku)),
      deps.activeLocations(),
      deps.ruleSetFor(order.channel.channelId),
    ]);
    const positions = new Map([...stocks].map(([sku, stock]) => [sku, stock.positions]));
    const routed = route(
      { fulfillment: order.fulfillment, destination: order.shippingAddress, demand, excludeLocationIds: existing?.excludedLocationIds ?? [] },
      { ruleSet, locations, stock: positions, now },
    );
    // The rule set's hold rules look at the order once, when it is first routed; a hold is orthogonal to its stock.
    const review = order.status === 'received' ? reviewOrder(ruleSet, order, now) : undefined;
    const heldForReview = order.fulfillmentHold ? undefined : review?.hold;
    const holdRules = review?.results.length ? review.results : existing?.routing?.holdRules;
    const decision: RoutingDecision = holdRules ? { ...routed, holdRules } : routed;
    const plan = allocateShipments(decision.shipments, positions, random);
    const shortages = mergeNeeds([...decision.shortages, ...plan.shortages]);
    const heldBy: 'routing_review' | 'pickup_unavailable' | undefined =
      decision.outcome === 'held' ? (decision.action === 'pickup_unavailable' ? 'pickup_unavailable' : 'routing_review') : undefined;
    const canWait = topUp || (!heldBy && shortages.every((s) => backorderable(stocks.get(s.sku)?.policy ?? DEFAULT_POLICY, now)));
    const outcome: 'reserved' | 'backordered' | 'held' = shortages.length === 0 ? 'reserved' : canWait ? 'backordered' : 'held';
    // Held orders reserve nothing new: their stock stays free for orders that can be served.
    const taken = outcome === 'held' ? [] : plan.allocations;
    const nextStatus = topUp ? order.status : outcome === 'reserved' ? 'reserved' : outcome === 'backordered' ? 'backordered' : 'on_hold';
    const holdReason = heldBy ?? 'out_of_stock';
    const shortagesBefore = JSON.stringify(existing?.backordered ?? []);
    if (taken.length === 0 && nextStatus === order.status && (nextStatus !== 'on_hold' || order.hold?.reason === holdReason) && JSON.stringify(shortages) === shortagesBefore) {
      return { outcome: 'unchanged', orderId: order.orderId, reason: 'still short of stock', attempts: attempt };
    }

    const at = now.toISOString();
    const placedAt = order.channelCreatedAt;
    // Orders short of stock wait on the SKU's list (receipts serve them); orders held for a person do not.
    const waitsForStock = outcome !== 'held' || holdReason === 'out_of_stock';
    const shortNow = new Set((waitsForStock ? shortages : []).map((s) => s.sku));
    const shortBefore = new Set((existing?.backordered ?? []).map((s) => s.sku));
    const waiting = {
      add: [...shortNow].filter((sku) => !shortBefore.has(sku)).map((sku) => ({ sku, placedAt, orderId: order.orderId })),
      remove: [...shortBefore].filter((sku) => !shortNow.has(sku)).map((sku) => ({ sku, placedAt, orderId: order.orderId })),
    };
    // One transaction holds at most 100 items: two per position, the waiting entries, the record, the order, its timeline and events.
    const held = mergeAllocations([...(existing?.allocations ?? []), ...taken]).length;
    if (held > MAX_POSITIONS_PER_ORDER || 2 * taken.length + waiting.add.length + waiting.remove.length + (heldForReview ? 10 : 8) > MAX_TRANSACTION_ITEMS) {
      return holdTooLarge(deps, order, demand, held, command, attempt);
    }
    const unpaid = order.payment.state === 'pending';
    const record: Reservation = {
      orderId: order.orderId,
      status: 'active',
      allocations: mergeAllocations([...(existing?.allocations ?? []), ...taken]),
      backordered: waitsForStock ? shortages : [],
      sold: existing?.sold ?? [],
      routing: decision,
      ...(existing?.excludedLocationIds?.length ? { excludedLocationIds: existing.excludedLocationIds } : {}),
      ...(decision.cancelIfShortBy && outcome === 'backordered' ? { cancelIfShortBy: existing?.cancelIfShortBy ?? decision.cancelIfShortBy } : {}),
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
      ...(outcome === 'held' ? { hold: { reason: holdReason, since: order.hold?.since ?? at } } : {}),
      ...(heldForReview ? { fulfillmentHold: heldForReview } : {}),
    };
    if (outcome !== 'held') delete next.hold;
    const context = { occurredAt: now, ...actorOf(command) };
    const events: OutboxEvent[] = [];
    const timeline = reservationTimeline(order, outcome, taken, shortages, at, command, decision, holdReason);
    if (heldForReview) {
      const actor = holdActor(heldForReview.placedBy);
      timeline.push({ at, actor, ...(command.correlationId ? { correlationId: command.correlationId } : {}), ...holdEntry(heldForReview) });
      events.push(OrderHeld.create({ orderId: order.orderId, orderStatus: nextStatus, hold: heldForReview }, { ...context, actor }));
    }
    if (taken.length > 0) {
      events.push(StockReserved.create({ orderId: order.orderId, status: outcome === 'reserved' ? 'reserved' : 'backordered', allocations: taken, backordered: shortages }, context));
    }
    if (shortages.length > 0 && (JSON.stringify(shortages) !== shortagesBefore || order.status !== nextStatus)) {
      events.push(OrderBackordered.create({ orderId: order.orderId, held: outcome === 'held', reason: outcome === 'held' ? holdReason : 'out_of_stock', shortages }, context));
    }
    // Someone took the stock (position), or the order/reservation moved on: the commit throws and the helper decides again on fresh state.
    await deps.inventory.commit({
      changes: taken.map((a): PositionChange => ({ ...a, onHandDelta: 0, reservedDelta: a.quantity, safetyStockDelta: 0, requires: { availableAtLeast: a.quantity, exists: true }, type: 'reservation' })),
      ledgerId: `reserve:${order.orderId}:${record.version}`,
      actor: command.actor,
      at,
      reference: order.orderId,
      reservation: { record, expectedVersion: existing?.version ?? null },
      order: { next, expectedVersion: order.version },
      timeline: { orderId: order.orderId, entries: timeline },
      waiting,
      events,
      // Unique per attempt: it only makes the SDK's own retries of this request safe.
      idempotencyToken: `reserve:${order.orderId}:${newId()}`,
      ...(deps.capacity ? { capacity: deps.capacity } : {}),
    });
    return { outcome, orderId: order.orderId, allocations: taken, shortages, attempts: attempt, routing: decision };
  }, { attempts: 12, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Could not reserve order ${command.orderId}: stock kept changing`) });
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

function reservationTimeline(
  order: Order,
  outcome: 'reserved' | 'backordered' | 'held',
  taken: Allocation[],
  shortages: Need[],
  at: string,
  actor: Actor,
  decision: RoutingDecision,
  holdReason: 'out_of_stock' | 'routing_review' | 'pickup_unavailable',
): TimelineEntry[] {
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
  if (outcome === 'backordered') {
    entries.push(entry('backordered', `Backordered ${short}: reserved when stock arrives${decision.cancelIfShortBy ? `; cancelled if still short on ${decision.cancelIfShortBy}` : ''}.`, { shortages }));
  }
  if (outcome === 'held') {
    const why =
      holdReason === 'routing_review'
        ? `rule ${decision.ruleId} holds orders it cannot fully allocate for review`
        : holdReason === 'pickup_unavailable'
          ? `the pickup store cannot serve it (${decision.candidates[0]?.excludedBecause ?? 'unknown store'})`
          : `out of stock for ${short}, and backorders are not allowed`;
    entries.push(entry('held', `Held: ${why}. Nothing reserved.`, { shortages, reason: holdReason }));
  }
  // The routing decision rides on the first entry (one item less per reservation); GET /v1/orders/{id}/routing has it all.
  const [first] = entries;
  if (first) {
    first.message = `${first.message} ${explainDecision(decision)}`;
    first.data = { ...first.data, routing: { ruleSetId: decision.ruleSetId, ruleId: decision.ruleId, outcome: decision.outcome } };
  }
  if (outcome === 'reserved' && order.status !== 'received') entries.push(entry('backorder_filled', 'Every unit is now reserved.'));
  return entries;
}

/** One sentence for the timeline: which rule decided, and how. */
export function explainDecision(decision: RoutingDecision): string {
  const rule = decision.ruleId ? `rule ${decision.ruleId} of rule set ${decision.ruleSetId}` : decision.rules.length ? `no rule of ${decision.ruleSetId} allocated everything` : 'the chosen store';
  const where = decision.shipments.map((s) => `${s.locationId}${s.distanceKm !== undefined ? ` (${Math.round(s.distanceKm)} km)` : ''}`).join(', ');
  return `Routed by ${rule}: ${where || 'no location'}${decision.shortages.length ? `; short ${decision.shortages.map((s) => `${s.quantity} × ${s.sku}`).join(', ')}` : ''}.`;
}

function mergeNeeds(needs: readonly Need[]): Need[] {
  const merged = new Map<string, number>();
  for (const n of needs) merged.set(n.sku, (merged.get(n.sku) ?? 0) + n.quantity);
  return [...merged].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Where an order's reserved units are now: a hot-SKU shard that was merged
 * handed its reservations to shard 0, so an allocation whose shard no longer
 * holds them points at shard 0.
 */
export async function locate(inventory: InventoryRepository, allocations: readonly Allocation[]): Promise<Allocation[]> {
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
  return retryOnConflict(async (): Promise<{ outcome: 'released' | 'skipped'; allocations: Allocation[] }> => {
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
    // The units, the reservation or the order moved meanwhile: the commit throws and the helper runs the step again on fresh state.
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
  }, { attempts: STOCK_TRANSACTION_ATTEMPTS, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Could not release order ${command.orderId}: it kept changing`) });
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
    /** Shipping a fulfillment: its id becomes the shipment id and it is marked shipped in the same transaction. */
    fulfillment?: Fulfillment | undefined;
  } & Actor,
): Promise<{ shipmentId: string; orderStatus: 'partially_shipped' | 'shipped' }> {
  return retryOnConflict(async () => {
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
    const shipmentId = command.fulfillment?.fulfillmentId ?? newId();
    const shipped: Fulfillment | undefined = command.fulfillment
      ? {
          ...command.fulfillment,
          status: 'shipped',
          allocations: sold,
          shippedAt: at,
          tracking: { status: 'label_created', updatedAt: at, events: [{ status: 'label_created', at }] },
          version: command.fulfillment.version + 1,
          updatedAt: at,
        }
      : undefined;
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
        ...(shipped && command.fulfillment ? { fulfillments: [{ record: shipped, expectedVersion: command.fulfillment.version }] } : {}),
        events: [
          ShipmentShipped.create(
            { orderId: order.orderId, channelId: order.channel.channelId, channelType: order.channel.channelType, shipmentId, locationId: command.locationId, lines: command.lines, orderStatus, ...(command.carrier ? { carrier: command.carrier } : {}), ...(command.trackingNumber ? { trackingNumber: command.trackingNumber } : {}) },
            { occurredAt: now, ...actorOf(command) },
          ),
        ],
      });
      return { shipmentId, orderStatus };
    } catch (error) {
      // A fulfillment that moved is not re-read here: its caller decides again. Any other stock conflict runs the step again.
      if (error instanceof InventoryConflictError && error.kind === 'fulfillment') throw new ConcurrentModificationError(`Fulfillment ${shipmentId} changed while it was being shipped`);
      throw error;
    }
  }, { attempts: STOCK_TRANSACTION_ATTEMPTS, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Could not record the shipment of order ${command.orderId}: it kept changing`) });
}

/** `POST /v1/orders/{id}/cancel`: operations cancel an order that has not shipped; its stock is released by the OrderCancelled rule. */
export async function cancelOrder(deps: Pick<ReservationDeps, 'orders' | 'clock'>, command: { orderId: string; reason: string } & Actor): Promise<Order> {
  return retryOnConflict(async () => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (order.status === 'cancelled') return order;
    if (SHIPPED_OR_LATER.includes(order.status)) throw new ConflictError(`Order ${order.orderId} is ${order.status}; it can no longer be cancelled`, 'already_shipped');
    const now = deps.clock.now();
    const at = now.toISOString();
    const next: Order = { ...order, status: 'cancelled', version: order.version + 1, updatedAt: at };
    delete next.hold;
    // The hold ends with the order: the repository deletes its release date in this transaction, so the sweep never releases a cancelled order.
    delete next.fulfillmentHold;
    await deps.orders.update(next, {
      previous: order,
      timeline: [
        {
          at,
          type: 'cancelled',
          actor: command.actor,
          message: `Cancelled: ${command.reason}${holdEndedByCancellation(order.fulfillmentHold)}`,
          ...(command.correlationId ? { correlationId: command.correlationId } : {}),
          ...(order.fulfillmentHold ? { data: { holdEnded: order.fulfillmentHold } } : {}),
        },
      ],
      events: [OrderCancelled.create({ ...eventOrder(next), reason: command.reason }, { occurredAt: now, ...actorOf(command) })],
    });
    return next;
  }, { attempts: 3, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing`) });
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

/**
 * Scheduled with the expiry sweep: orders a routing rule backordered with
 * `cancel_after` and that are still short at the deadline are cancelled
 * (their stock is released by the OrderCancelled rule).
 */
export async function cancelOverdueBackorders(deps: Pick<ReservationDeps, 'orders' | 'inventory' | 'clock'>): Promise<{ cancelled: string[] }> {
  const now = deps.clock.now();
  const cancelled: string[] = [];
  for (const { orderId } of await deps.inventory.shortDeadlinesPassed(now, 48)) {
    const reservation = await deps.inventory.reservation(orderId);
    if (!reservation?.cancelIfShortBy || reservation.status !== 'active' || reservation.backordered.length === 0 || reservation.cancelIfShortBy > now.toISOString()) continue;
    const short = reservation.backordered.map((b) => `${b.quantity} × ${b.sku}`).join(', ');
    await cancelOrder(deps, { orderId, reason: `still short of ${short} at the routing rule's deadline (${reservation.cancelIfShortBy})`, actor: 'schedule:backorder-deadline' }).catch((error: unknown) => {
      if (!(error instanceof ConflictError)) throw error;
    });
    cancelled.push(orderId);
  }
  return { cancelled };
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
