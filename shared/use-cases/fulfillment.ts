import { FulfillmentCreated } from '#events/fulfillment-created.ts';
import { FulfillmentStatusChanged } from '#events/fulfillment-status-changed.ts';
import { OrderBackordered } from '#events/order-backordered.ts';
import { OrderRouted } from '#events/order-routed.ts';
import { StockReleased } from '#events/stock-released.ts';
import { StockReserved } from '#events/stock-reserved.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, ForbiddenError, NotFoundError } from '#shared/domain/errors.ts';
import {
  FulfillmentId,
  LEFT_LOCATION,
  OPEN_FULFILLMENT,
  fulfillmentIdOf,
  transition,
  type Fulfillment,
  type FulfillmentEventInput,
} from '#shared/domain/fulfillment.ts';
import { distanceKm, locate as locateAddress } from '#shared/domain/geo.ts';
import { DEFAULT_POLICY, backorderable } from '#shared/domain/inventory.ts';
import type { Principal } from '#shared/domain/identity.ts';
import type { Location } from '#shared/domain/location.ts';
import type { Order, OrderStatus, TimelineEntry } from '#shared/domain/order.ts';
import { allocateShipments, mergeAllocations, type Allocation, type Need } from '#shared/domain/reservation.ts';
import { route, type RuleSet } from '#shared/domain/routing.ts';
import { selectRate, zoneFor } from '#shared/domain/shipping.ts';
import { wmsIdOfSource, wmsSource, type WmsLocations } from '#shared/domain/wms.ts';
import type { CarrierGateway, DocumentStore, FulfillmentRepository, InventoryRepository, LocationRepository, OrderRepository, Page, PageRequest } from '#shared/ports.ts';
import { actorOf, type Actor } from './actor.ts';
import { authorizeFulfillment } from './authorization.ts';
import { explainDecision, locate, recordShipment } from './reservations.ts';
import { recordHandover } from './tracking.ts';
import { storedCarrierLabel, withLabelDocument } from './label-documents.ts';
import { isInventoryConflict, retryOnConflict, STOCK_TRANSACTION_ATTEMPTS } from './retry.ts';

export interface FulfillmentDeps {
  orders: Pick<OrderRepository, 'get' | 'update'>;
  inventory: InventoryRepository;
  fulfillments: FulfillmentRepository;
  locations: Pick<LocationRepository, 'get'>;
  activeLocations(): Promise<Location[]>;
  ruleSetFor(channelId: string): Promise<RuleSet>;
  carriers: CarrierGateway;
  /** Where label documents are stored (the fulfillment keeps `carrier.labelRef`). */
  documents: DocumentStore;
  clock: Clock;
  random?: () => number;
}

/** Statuses in which an order can get new fulfillments. */
const FULFILLABLE: readonly OrderStatus[] = ['reserved', 'routed', 'fulfilling', 'partially_shipped', 'backordered'];

function entry(at: string, type: string, actor: Actor, message: string, data?: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: actor.actor, message, ...(actor.correlationId ? { correlationId: actor.correlationId } : {}), ...(data ? { data } : {}) };
}

/** Units held at each position minus those already handed to an open fulfillment. */
function unassigned(allocations: readonly Allocation[], open: readonly Fulfillment[]): Allocation[] {
  const left = new Map(mergeAllocations(allocations).map((a) => [`${a.sku}#${a.locationId}#${a.shard}`, { ...a }]));
  for (const f of open) {
    for (const a of f.allocations) {
      const held = left.get(`${a.sku}#${a.locationId}#${a.shard}`);
      if (held) held.quantity -= a.quantity;
      else {
        // A merged hot-SKU shard moved its units to shard 0.
        const base = left.get(`${a.sku}#${a.locationId}#0`);
        if (base) base.quantity -= a.quantity;
      }
    }
  }
  return [...left.values()].filter((a) => a.quantity > 0);
}

/**
 * Workflow step: hands the order's reserved units to their locations, one
 * fulfillment per location, each with a carrier label chosen by the rule
 * set. Idempotent: units already in an open fulfillment are skipped, labels
 * are bought with the fulfillment id as idempotency key, and the fulfillments
 * are created in one transaction conditional on the order's version.
 */
export async function createFulfillments(
  deps: FulfillmentDeps,
  command: { orderId: string } & Actor,
): Promise<{ outcome: 'created' | 'skipped'; fulfillments: string[]; orderStatus?: string; reason?: string }> {
  return retryOnConflict(async () => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (!FULFILLABLE.includes(order.status)) return { outcome: 'skipped', fulfillments: [], reason: `order is ${order.status}` };
    // Held for review: never handed to a location until released (a hold placed after this read fails the version condition below).
    if (order.fulfillmentHold) return { outcome: 'skipped', fulfillments: [], reason: `order is held (${order.fulfillmentHold.reason})` };
    const [reservation, existing, payment] = await Promise.all([
      deps.inventory.reservation(order.orderId),
      deps.fulfillments.forOrder(order.orderId),
      deps.fulfillments.payment(order.orderId),
    ]);
    if (!payment || payment.status === 'declined' || payment.status === 'voided') return { outcome: 'skipped', fulfillments: [], reason: 'payment is not confirmed' };
    if (!reservation || reservation.status !== 'active') return { outcome: 'skipped', fulfillments: [], reason: 'nothing reserved' };
    const open = existing.filter((f) => OPEN_FULFILLMENT.includes(f.status));
    const todo = unassigned(await locate(deps.inventory, reservation.allocations), open);
    if (todo.length === 0) return { outcome: 'skipped', fulfillments: [], reason: 'every reserved unit already has a fulfillment' };

    const now = deps.clock.now();
    const at = now.toISOString();
    const ruleSet = await deps.ruleSetFor(order.channel.channelId);
    const stocks = await deps.inventory.positionsOf([...new Set(todo.map((a) => a.sku))]);
    const byLocation = new Map<string, Allocation[]>();
    for (const a of todo) byLocation.set(a.locationId, [...(byLocation.get(a.locationId) ?? []), a]);
    const destination = order.shippingAddress ? locateAddress(order.shippingAddress) : { source: 'none' as const };

    let n = existing.reduce((max, f) => Math.max(max, Number(f.fulfillmentId.split('-F')[1])), 0);
    const created: Fulfillment[] = [];
    const notes: TimelineEntry[] = [];
    for (const [locationId, allocations] of [...byLocation].sort(([a], [b]) => a.localeCompare(b))) {
      const location = await deps.locations.get(locationId);
      if (!location) throw new NotFoundError(`Location ${locationId} does not exist`);
      const fulfillmentId = fulfillmentIdOf(order.orderId, ++n);
      const lines = mergeLines(allocations);
      let carrier: Fulfillment['carrier'];
      let why = '';
      if (order.fulfillment.type === 'ship' && order.shippingAddress) {
        const weightGrams = lines.reduce((sum, l) => sum + l.quantity * (stocks.get(l.sku)?.policy.weightGrams ?? ruleSet.defaultUnitWeightGrams), 0);
        const km = destination.geo && location.geo ? distanceKm(location.geo, destination.geo) : undefined;
        const zone = zoneFor(km, location.address.country === order.shippingAddress.country);
        const from = { name: location.name, lines: location.address.lines, city: location.address.city, region: location.address.region, postalCode: location.address.postalCode, country: location.address.country };
        const to = {
          name: order.shippingAddress.name ?? order.customer.name,
          lines: order.shippingAddress.lines,
          city: order.shippingAddress.city,
          region: order.shippingAddress.region,
          postalCode: order.shippingAddress.postalCode,
          country: order.shippingAddress.country,
          phone: order.shippingAddress.phone ?? order.customer.phone,
          email: order.customer.email,
        };
        const reference = order.channel.externalNumber ?? order.orderId;
        const idempotencyKey = `label:${fulfillmentId}`;
        // A carrier platform (EasyPost) rates the addresses; the key lets the label below be bought on the shipment rated here.
        const rates = await deps.carriers.rates({ zone, weightGrams, currency: order.currency, shipDate: now, from, to, reference, idempotencyKey });
        const choice = selectRate(rates, ruleSet.carrier, order.promised.deliverBy);
        if (!choice) throw new ConflictError(`No carrier rate matches the rule set's carrier selection for ${fulfillmentId}`, 'no_carrier');
        const bought = await deps.carriers.buyLabel({
          carrierId: choice.rate.carrierId,
          serviceLevel: choice.rate.serviceLevel,
          from,
          to,
          zone,
          weightGrams,
          currency: order.currency,
          shipDate: now,
          reference,
          idempotencyKey,
        });
        // The document goes to the document store, keyed by the fulfillment (a retried step overwrites it with the same label).
        carrier = await storedCarrierLabel(deps.documents, order.orderId, fulfillmentId, bought);
        why = `; ${carrier.carrierId} ${carrier.serviceLevel} ${carrier.trackingNumber} (${choice.why})`;
      }
      const fulfillment: Fulfillment = {
        fulfillmentId,
        orderId: order.orderId,
        locationId,
        status: 'created',
        lines,
        allocations,
        acceptBy: new Date(now.getTime() + ruleSet.acceptWithinMinutes * 60_000).toISOString(),
        ...(carrier ? { carrier } : {}),
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      created.push(fulfillment);
      notes.push(
        entry(at, 'fulfillment_created', command, `Fulfillment ${fulfillmentId} sent to ${locationId}: ${lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')}${why}. Accept by ${fulfillment.acceptBy}.`, {
          fulfillmentId,
          locationId,
        }),
      );
    }
    const nextStatus: OrderStatus = order.status === 'reserved' ? 'routed' : order.status;
    const next: Order = { ...order, status: nextStatus, version: order.version + 1, updatedAt: at };
    const context = { occurredAt: now, ...actorOf(command) };
    const events: OutboxEvent[] = [
      ...created.map((f) =>
        FulfillmentCreated.create(
          {
            fulfillmentId: f.fulfillmentId,
            orderId: f.orderId,
            locationId: f.locationId,
            lines: f.lines,
            acceptBy: f.acceptBy,
            ...(f.carrier
              ? { carrier: { carrierId: f.carrier.carrierId, serviceLevel: f.carrier.serviceLevel, trackingNumber: f.carrier.trackingNumber, rate: f.carrier.rate, currency: f.carrier.currency, estimatedDelivery: f.carrier.estimatedDelivery } }
              : {}),
          },
          context,
        ),
      ),
      OrderRouted.create(
        {
          orderId: order.orderId,
          orderStatus: nextStatus,
          ...(reservation.routing ? { ruleSetId: reservation.routing.ruleSetId, ruleId: reservation.routing.ruleId } : {}),
          fulfillments: created.map((f) => ({
            fulfillmentId: f.fulfillmentId,
            locationId: f.locationId,
            lines: f.lines,
            ...(f.carrier ? { carrierId: f.carrier.carrierId, serviceLevel: f.carrier.serviceLevel, trackingNumber: f.carrier.trackingNumber } : {}),
          })),
        },
        context,
      ),
    ];
    await deps.fulfillments.create(created, { order: { next, expectedVersion: order.version }, timeline: notes, events });
    return { outcome: 'created', fulfillments: created.map((f) => f.fulfillmentId), orderStatus: nextStatus };
  }, { attempts: 6, exhausted: () => new ConcurrentModificationError(`Could not create the fulfillments of order ${command.orderId}: it kept changing`) });
}

function mergeLines(allocations: readonly { sku: string; quantity: number }[]): Need[] {
  const lines = new Map<string, number>();
  for (const a of allocations) lines.set(a.sku, (lines.get(a.sku) ?? 0) + a.quantity);
  return [...lines].map(([sku, quantity]) => ({ sku, quantity }));
}

export function assertFulfillmentId(fulfillmentId: string): void {
  if (!FulfillmentId.safeParse(fulfillmentId).success) throw new NotFoundError(`Fulfillment ${fulfillmentId} does not exist`);
}

export async function getFulfillment(deps: Pick<FulfillmentDeps, 'fulfillments'> & Partial<Pick<FulfillmentDeps, 'documents'>>, fulfillmentId: string): Promise<Fulfillment> {
  assertFulfillmentId(fulfillmentId);
  const fulfillment = await deps.fulfillments.get(fulfillmentId);
  if (!fulfillment) throw new NotFoundError(`Fulfillment ${fulfillmentId} does not exist`);
  return deps.documents ? withLabelDocument(deps.documents, fulfillment) : fulfillment;
}

/** `GET /v1/fulfillments?locationId=` (a location's open work, oldest first) or `?orderId=` (all of an order's). */
export async function listFulfillments(
  deps: Pick<FulfillmentDeps, 'fulfillments'> & Partial<Pick<FulfillmentDeps, 'documents'>>,
  query: { locationId?: string | undefined; orderId?: string | undefined } & PageRequest,
): Promise<Page<Fulfillment>> {
  const page = query.orderId ? { items: await deps.fulfillments.forOrder(query.orderId) } : await deps.fulfillments.openAt(query.locationId ?? '', query);
  // Each item with its label document, as before the documents left the items (a location prints from this list).
  const documents = deps.documents;
  return documents ? { ...page, items: await Promise.all(page.items.map((f) => withLabelDocument(documents, f))) } : page;
}

/**
 * `POST /v1/fulfillments/{id}/events`: what the location reports. A repeat
 * of the current status is answered `unchanged` (a retried report, also
 * `shipped` for a parcel delivered since); a step back or out of a final
 * status is a 409. `shipped` turns the units' reservation into a sale in the
 * same transaction that marks the fulfillment shipped; for a pickup or
 * carry-out, the handover then makes it delivered.
 */
export async function applyFulfillmentEvent(
  deps: FulfillmentDeps,
  command: { fulfillmentId: string; event: FulfillmentEventInput } & Actor,
): Promise<{ outcome: 'applied' | 'unchanged'; fulfillment: Fulfillment; orderStatus: string }> {
  return retryOnConflict(async () => {
    const fulfillment = await getFulfillment(deps, command.fulfillmentId);
    const order = await deps.orders.get(fulfillment.orderId);
    if (!order) throw new NotFoundError(`Order ${fulfillment.orderId} does not exist`);
    const target = command.event.type;
    const verdict = transition(fulfillment.status, target);
    if (verdict === 'unchanged') return { outcome: 'unchanged', fulfillment, orderStatus: order.status };
    if (verdict === 'invalid') {
      throw new ConflictError(`Fulfillment ${fulfillment.fulfillmentId} is ${fulfillment.status}; it cannot become ${target}`, 'invalid_transition');
    }
    const now = deps.clock.now();
    const at = now.toISOString();
    if (command.event.type === 'shipped') {
      const carrierId = command.event.carrierId ?? fulfillment.carrier?.carrierId;
      const trackingNumber = command.event.trackingNumber ?? fulfillment.carrier?.trackingNumber;
      const result = await recordShipment(deps, {
        orderId: order.orderId,
        locationId: fulfillment.locationId,
        lines: fulfillment.lines,
        carrier: carrierId,
        trackingNumber,
        fulfillment,
        actor: command.actor,
        correlationId: command.correlationId,
      });
      if (order.fulfillment.type !== 'ship') {
        // Pickup and carry-out: handing the parcel over is the delivery.
        const handed = await recordHandover(deps, fulfillment.fulfillmentId, deps.clock.now().toISOString());
        return { outcome: 'applied', fulfillment: await getFulfillment(deps, fulfillment.fulfillmentId), orderStatus: handed.orderStatus };
      }
      return { outcome: 'applied', fulfillment: await getFulfillment(deps, fulfillment.fulfillmentId), orderStatus: result.orderStatus };
    }
    const status = command.event.type;
    const reason = command.event.type === 'rejected' ? command.event.reason : undefined;
    const next: Fulfillment = { ...fulfillment, status, ...(reason ? { reason } : {}), version: fulfillment.version + 1, updatedAt: at };
    const orderStatus: OrderStatus = target !== 'rejected' && order.status === 'routed' ? 'fulfilling' : order.status;
    await deps.fulfillments.update(next, fulfillment.version, {
      ...(orderStatus !== order.status ? { order: { next: { ...order, status: orderStatus, version: order.version + 1, updatedAt: at }, expectedVersion: order.version } } : {}),
      timeline: [
        entry(
          at,
          `fulfillment_${target}`,
          command,
          target === 'rejected'
            ? `${fulfillment.locationId} rejected fulfillment ${fulfillment.fulfillmentId}: ${reason}. Its lines will be re-routed.`
            : `${fulfillment.locationId} ${target} fulfillment ${fulfillment.fulfillmentId}.`,
          { fulfillmentId: fulfillment.fulfillmentId },
        ),
      ],
      events: [
        FulfillmentStatusChanged.create(
          { fulfillmentId: fulfillment.fulfillmentId, orderId: order.orderId, locationId: fulfillment.locationId, status, previousStatus: fulfillment.status, ...(reason ? { reason } : {}), orderStatus },
          { occurredAt: now, ...actorOf(command) },
        ),
      ],
    });
    return { outcome: 'applied', fulfillment: next, orderStatus };
  }, { attempts: 5, exhausted: () => new ConcurrentModificationError(`Fulfillment ${command.fulfillmentId} kept changing`) });
}

/** Scheduled: fulfillments not accepted by their deadline time out (and are re-routed by the FulfillmentStatusChanged rule). */
export async function expireUnacceptedFulfillments(deps: Pick<FulfillmentDeps, 'fulfillments' | 'orders' | 'clock'>, asOf?: Date): Promise<{ timedOut: string[] }> {
  const now = asOf ?? deps.clock.now();
  const overdue = await deps.fulfillments.acceptanceOverdue(now, 48);
  const timedOut: string[] = [];
  for (const { fulfillmentId } of overdue) {
    const fulfillment = await deps.fulfillments.get(fulfillmentId);
    if (!fulfillment || fulfillment.status !== 'created' || fulfillment.acceptBy > now.toISOString()) continue;
    const order = await deps.orders.get(fulfillment.orderId);
    if (!order) continue;
    const at = deps.clock.now().toISOString();
    try {
      await deps.fulfillments.update({ ...fulfillment, status: 'timed_out', reason: `not accepted by ${fulfillment.acceptBy}`, version: fulfillment.version + 1, updatedAt: at }, fulfillment.version, {
        timeline: [entry(at, 'fulfillment_timed_out', { actor: 'schedule:fulfillment-timeouts' }, `${fulfillment.locationId} did not accept fulfillment ${fulfillmentId} by ${fulfillment.acceptBy}. Its lines will be re-routed.`, { fulfillmentId })],
        events: [
          FulfillmentStatusChanged.create(
            { fulfillmentId, orderId: fulfillment.orderId, locationId: fulfillment.locationId, status: 'timed_out', previousStatus: 'created', reason: 'not accepted in time', orderStatus: order.status },
            { occurredAt: deps.clock.now(), actor: 'schedule:fulfillment-timeouts' },
          ),
        ],
      });
      timedOut.push(fulfillmentId);
    } catch (error) {
      // Accepted (or changed) meanwhile: it is no longer ours to time out.
      if (!(error instanceof ConcurrentModificationError)) throw error;
    }
  }
  return { timedOut };
}

/**
 * After a rejection or a timeout: the fulfillment's units are released at
 * its location and routed again without it (nor any location that rejected
 * this order before), in ONE transaction — release, new reservations with
 * their `available >= q` conditions, the reservation record, the order and
 * the fulfillment. The new allocations then get fulfillments from the
 * fulfillOrder workflow (StockReserved), like a new order.
 */
export async function rerouteFulfillment(
  deps: FulfillmentDeps,
  command: { fulfillmentId: string } & Actor,
): Promise<{ outcome: 'rerouted' | 'backordered' | 'held' | 'skipped'; allocations: Allocation[]; shortages: Need[]; reason?: string }> {
  const random = deps.random ?? Math.random;
  return retryOnConflict(async (): Promise<{ outcome: 'rerouted' | 'backordered' | 'held' | 'skipped'; allocations: Allocation[]; shortages: Need[]; reason?: string }> => {
    const fulfillment = await getFulfillment(deps, command.fulfillmentId);
    if (fulfillment.status !== 'rejected' && fulfillment.status !== 'timed_out') return { outcome: 'skipped', allocations: [], shortages: [], reason: `fulfillment is ${fulfillment.status}` };
    if (fulfillment.reroutedAt) return { outcome: 'skipped', allocations: [], shortages: [], reason: 'already re-routed' };
    const [order, reservation] = await Promise.all([deps.orders.get(fulfillment.orderId), deps.inventory.reservation(fulfillment.orderId)]);
    if (!order) throw new NotFoundError(`Order ${fulfillment.orderId} does not exist`);
    if (!reservation || reservation.status !== 'active' || order.status === 'cancelled') {
      return { outcome: 'skipped', allocations: [], shortages: [], reason: `order is ${order.status}` };
    }
    const now = deps.clock.now();
    const at = now.toISOString();
    const released = await locate(deps.inventory, fulfillment.allocations);
    const excluded = [...new Set([...(reservation.excludedLocationIds ?? []), fulfillment.locationId])].sort();
    const [stocks, locations, ruleSet] = await Promise.all([
      deps.inventory.positionsOf(fulfillment.lines.map((l) => l.sku)),
      deps.activeLocations(),
      deps.ruleSetFor(order.channel.channelId),
    ]);
    const positions = new Map([...stocks].map(([sku, stock]) => [sku, stock.positions]));
    const decision = route({ fulfillment: order.fulfillment, destination: order.shippingAddress, demand: fulfillment.lines, excludeLocationIds: excluded }, { ruleSet, locations, stock: positions, now });
    const plan = decision.outcome === 'held' ? { allocations: [], shortages: [...fulfillment.lines] } : allocateShipments(decision.shipments, positions, random);
    const shortages = mergeLines([...decision.shortages, ...plan.shortages]);
    const canWait = decision.outcome !== 'held' && shortages.every((s) => backorderable(stocks.get(s.sku)?.policy ?? DEFAULT_POLICY, now));
    const outcome = shortages.length === 0 ? 'rerouted' : canWait ? 'backordered' : 'held';
    const taken = plan.allocations;

    // What the order holds afterwards: everything but the released units, plus the new ones.
    const remaining = subtract(reservation.allocations, released);
    const others = (await deps.fulfillments.forOrder(order.orderId)).some((f) => f.fulfillmentId !== fulfillment.fulfillmentId && (OPEN_FULFILLMENT.includes(f.status) || LEFT_LOCATION.includes(f.status)));
    const nextStatus: OrderStatus = outcome === 'rerouted' ? (others ? order.status : 'reserved') : outcome === 'backordered' ? (others ? order.status : 'backordered') : others ? order.status : 'on_hold';
    const backordered = mergeLines([...reservation.backordered, ...shortages]);
    const context = { occurredAt: now, ...actorOf(command) };
    const events: OutboxEvent[] = [StockReleased.create({ orderId: order.orderId, reason: 'rerouted', allocations: released }, context)];
    if (taken.length > 0) events.push(StockReserved.create({ orderId: order.orderId, status: shortages.length === 0 ? 'reserved' : 'backordered', allocations: taken, backordered: shortages }, context));
    if (shortages.length > 0) events.push(OrderBackordered.create({ orderId: order.orderId, held: outcome === 'held', reason: 'out_of_stock', shortages }, context));
    const next: Order = {
      ...order,
      status: nextStatus,
      version: order.version + 1,
      updatedAt: at,
      ...(nextStatus === 'on_hold' ? { hold: { reason: 'out_of_stock' as const, since: at } } : {}),
    };
    // Stock taken meanwhile, or the order, reservation or fulfillment moved: the commit throws and the helper runs the step again on fresh state.
    await deps.inventory.commit({
      changes: [
        ...released.map((a) => ({ ...a, onHandDelta: 0, reservedDelta: -a.quantity, safetyStockDelta: 0, requires: { reservedAtLeast: a.quantity, exists: true }, type: 'release' as const })),
        ...taken.map((a) => ({ ...a, onHandDelta: 0, reservedDelta: a.quantity, safetyStockDelta: 0, requires: { availableAtLeast: a.quantity, exists: true }, type: 'reservation' as const })),
      ],
      ledgerId: `reroute:${fulfillment.fulfillmentId}`,
      actor: command.actor,
      at,
      reference: order.orderId,
      reservation: {
        record: {
          ...reservation,
          allocations: mergeAllocations([...remaining, ...taken]),
          backordered,
          routing: decision,
          excludedLocationIds: excluded,
          version: reservation.version + 1,
          updatedAt: at,
        },
        expectedVersion: reservation.version,
      },
      order: { next, expectedVersion: order.version },
      fulfillments: [{ record: { ...fulfillment, reroutedAt: at, version: fulfillment.version + 1, updatedAt: at }, expectedVersion: fulfillment.version }],
      timeline: {
        orderId: order.orderId,
        entries: [
          entry(at, 'rerouted', command, `Re-routed ${fulfillment.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', ')} away from ${fulfillment.locationId}. ${explainDecision(decision)}`, {
            fulfillmentId: fulfillment.fulfillmentId,
            allocations: taken,
            shortages,
          }),
        ],
      },
      waiting: { add: outcome === 'held' ? [] : shortages.filter((s) => !reservation.backordered.some((b) => b.sku === s.sku)).map((s) => ({ sku: s.sku, placedAt: order.channelCreatedAt, orderId: order.orderId })) },
      events,
    });
    return { outcome, allocations: taken, shortages };
  }, { attempts: STOCK_TRANSACTION_ATTEMPTS, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Could not re-route fulfillment ${command.fulfillmentId}: stock kept changing`) });
}

function subtract(held: readonly Allocation[], released: readonly Allocation[]): Allocation[] {
  const left = mergeAllocations(held).map((a) => ({ ...a }));
  for (const r of released) {
    let quantity = r.quantity;
    for (const a of left.filter((x) => x.sku === r.sku && x.locationId === r.locationId).sort((x, y) => (x.shard === r.shard ? -1 : y.shard === r.shard ? 1 : 0))) {
      const take = Math.min(quantity, a.quantity);
      a.quantity -= take;
      quantity -= take;
    }
  }
  return left.filter((a) => a.quantity > 0);
}

/** On OrderCancelled: open fulfillments are cancelled (their labels voided); the stock is released by its own rule. */
export async function cancelOpenFulfillments(deps: Pick<FulfillmentDeps, 'fulfillments' | 'orders' | 'carriers' | 'clock'>, command: { orderId: string; reason: string } & Actor): Promise<{ cancelled: string[] }> {
  const cancelled: string[] = [];
  for (const fulfillment of await deps.fulfillments.forOrder(command.orderId)) {
    if (!OPEN_FULFILLMENT.includes(fulfillment.status)) continue;
    const order = await deps.orders.get(command.orderId);
    const at = deps.clock.now().toISOString();
    // A fulfillment that moved meanwhile (shipped?) fails its version condition: the step is retried on fresh state.
    await deps.fulfillments.update({ ...fulfillment, status: 'cancelled', reason: command.reason, version: fulfillment.version + 1, updatedAt: at }, fulfillment.version, {
      timeline: [entry(at, 'fulfillment_cancelled', command, `Fulfillment ${fulfillment.fulfillmentId} at ${fulfillment.locationId} cancelled: ${command.reason}.${fulfillment.carrier ? ` Label ${fulfillment.carrier.trackingNumber} voided.` : ''}`, { fulfillmentId: fulfillment.fulfillmentId })],
      events: [
        FulfillmentStatusChanged.create(
          { fulfillmentId: fulfillment.fulfillmentId, orderId: command.orderId, locationId: fulfillment.locationId, status: 'cancelled', previousStatus: fulfillment.status, reason: command.reason, orderStatus: order?.status ?? 'cancelled' },
          { occurredAt: deps.clock.now(), ...actorOf(command) },
        ),
      ],
    });
    if (fulfillment.carrier) await deps.carriers.voidLabel(fulfillment.carrier.carrierId, fulfillment.carrier.trackingNumber, fulfillment.carrier.shipmentId);
    cancelled.push(fulfillment.fulfillmentId);
  }
  return { cancelled };
}

/**
 * `POST /v1/orders/{orderId}/shipments`: a location reports units shipped
 * without naming a fulfillment. When an open fulfillment there holds exactly
 * these lines, it is that fulfillment that shipped; other open fulfillments
 * there make the report ambiguous (409, naming them); with none, the units
 * are recorded as a shipment of their own.
 */
export async function recordOrderShipment(
  deps: FulfillmentDeps,
  command: { orderId: string; locationId: string; lines: { sku: string; quantity: number }[]; carrier?: string | undefined; trackingNumber?: string | undefined } & Actor,
): Promise<{ shipmentId: string; orderStatus: string }> {
  const open = (await deps.fulfillments.forOrder(command.orderId)).filter((f) => f.locationId === command.locationId && OPEN_FULFILLMENT.includes(f.status));
  const key = (lines: readonly { sku: string; quantity: number }[]) => JSON.stringify(mergeLines(lines).sort((a, b) => a.sku.localeCompare(b.sku)));
  const same = open.find((f) => key(f.lines) === key(command.lines));
  if (same) {
    const result = await applyFulfillmentEvent(deps, {
      fulfillmentId: same.fulfillmentId,
      event: { type: 'shipped', ...(command.carrier ? { carrierId: command.carrier } : {}), ...(command.trackingNumber ? { trackingNumber: command.trackingNumber } : {}) },
      actor: command.actor,
      correlationId: command.correlationId,
    });
    return { shipmentId: same.fulfillmentId, orderStatus: result.orderStatus };
  }
  if (open.length > 0) {
    throw new ConflictError(
      `${command.locationId} has open fulfillments for this order (${open.map((f) => f.fulfillmentId).join(', ')}); report on them with POST /v1/fulfillments/{fulfillmentId}/events`,
      'fulfillment_open',
    );
  }
  return recordShipment(deps, command);
}

/**
 * A WMS's report from the bus (`FulfillmentReported`, source `wms.<wmsId>`),
 * applied like the API's, as `wms:<wmsId>`. The source names the WMS (on AWS
 * the bus policy lets only its role put it); the WMS may report for its own
 * locations only (`wms`, from OMS_WMS_LOCATIONS), the rule of a
 * `fulfillment:report` key limited to locations. A report that cannot apply
 * (a source of no configured WMS, another location's fulfillment, an unknown
 * fulfillment, a step back) is refused with nothing written, not thrown:
 * retrying the event would not change the answer.
 */
export async function applyWmsReport(
  deps: FulfillmentDeps,
  command: { source: string; wms: WmsLocations; fulfillmentId: string; event: FulfillmentEventInput; correlationId?: string | undefined },
): Promise<{ outcome: 'applied' | 'unchanged'; orderStatus: string } | { outcome: 'refused'; reason: string }> {
  const wmsId = wmsIdOfSource(command.source);
  const locations = wmsId === undefined ? undefined : command.wms[wmsId];
  if (wmsId === undefined || !locations) {
    return { outcome: 'refused', reason: `Source ${command.source} is not a configured WMS (OMS_WMS_LOCATIONS names ${Object.keys(command.wms).map((id) => wmsSource(id)).join(', ') || 'none'})` };
  }
  const principal: Principal = { id: `wms:${wmsId}`, kind: 'wms', scopes: ['fulfillment:report'], locations };
  try {
    await authorizeFulfillment(deps, principal, command.fulfillmentId);
    const result = await applyFulfillmentEvent(deps, { fulfillmentId: command.fulfillmentId, event: command.event, actor: principal.id, correlationId: command.correlationId });
    return { outcome: result.outcome, orderStatus: result.orderStatus };
  } catch (error) {
    if (error instanceof ConcurrentModificationError || !(error instanceof ConflictError || error instanceof NotFoundError || error instanceof ForbiddenError)) throw error;
    return { outcome: 'refused', reason: error.message };
  }
}
