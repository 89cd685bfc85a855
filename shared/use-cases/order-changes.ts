import { FulfillmentStatusChanged } from '#events/fulfillment-status-changed.ts';
import { OrderEdited } from '#events/order-edited.ts';
import { OrderLinesCancelled } from '#events/order-lines-cancelled.ts';
import { eventChangeSet, eventOrder } from '#events/order-payload.ts';
import type { OutboxEvent } from '#events/define.ts';
import { canonicalJson } from '#shared/domain/canonical-json.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, NotFoundError, PreconditionFailedError, ValidationError, type ErrorDetail } from '#shared/domain/errors.ts';
import { LEFT_LOCATION, OPEN_FULFILLMENT, isDelivered, type Fulfillment } from '#shared/domain/fulfillment.ts';
import type { PositionChange, StockPosition } from '#shared/domain/inventory.ts';
import type { Location } from '#shared/domain/location.ts';
import { formatMoney } from '#shared/domain/money.ts';
import { linesTotal, type Order, type OrderStatus, type TimelineEntry } from '#shared/domain/order.ts';
import {
  applyLineEdits,
  describeLineChanges,
  netPositions,
  planRelease,
  resolveCancellation,
  shippedPerLine,
  stockDelta,
  subtractAllocations,
  unassignedUnits,
  unitsPerSku,
  withLines,
  type CancelLinesInput,
  type LineChange,
  type MoneyChange,
  type OrderChangeSet,
  type OrderEditInput,
} from '#shared/domain/order-changes.ts';
import { paymentModeOf, type Payment } from '#shared/domain/payment.ts';
import { allocateShipments, mergeAllocations, type Allocation, type Need, type Reservation } from '#shared/domain/reservation.ts';
import { route, type RoutingDecision, type RuleSet } from '#shared/domain/routing.ts';
import type { CarrierGateway, FulfillmentRepository, InventoryRepository, OrderRepository } from '#shared/ports.ts';
import type { Refund } from '#shared/domain/refund.ts';
import { actorOf, type Actor } from './actor.ts';
import type { RefundCommand } from './refunds.ts';
import { cancelOrder, explainDecision, locate } from './reservations.ts';
import { isInventoryConflict, retryOnConflict, STOCK_TRANSACTION_ATTEMPTS } from './retry.ts';

/**
 * Order changes before fulfillment: cancelling some units of an order, and
 * editing it (address, lines, quantities) as one change set. Each is ONE
 * TransactWriteItems: the order and its lines, the stock it gives back
 * (`reserved >= q`) and takes (`available >= q`), its reservation record,
 * the fulfillments it cancels, its payment's amount, the timeline and the
 * events — so a change either happened with all its consequences or not at
 * all. Fulfillments cancelled for re-making get new ones (with new labels)
 * from the fulfillOrder workflow, started by the change's event.
 */
export interface OrderChangeDeps {
  orders: Pick<OrderRepository, 'get' | 'update'>;
  inventory: InventoryRepository;
  fulfillments: Pick<FulfillmentRepository, 'forOrder' | 'payment'>;
  carriers: Pick<CarrierGateway, 'voidLabel'>;
  activeLocations(): Promise<Location[]>;
  ruleSetFor(channelId: string): Promise<RuleSet>;
  clock: Clock;
  random?: () => number;
}

/** Orders whose lines a location has started on (or that are over) cannot be edited. */
const EDITABLE: readonly OrderStatus[] = ['received', 'reserved', 'backordered', 'routed'];
/** Statuses in which no unit is left to cancel. */
const ALL_SHIPPED: readonly OrderStatus[] = ['shipped', 'delivered', 'exception', 'fulfilled_by_channel'];
/** Holds that wait for stock or a person's split: with fewer lines the order may be served, so it is routed again. */
const REPLAN_HOLDS = ['out_of_stock', 'routing_review', 'pickup_unavailable', 'too_large'];
const STARTED = ['accepted', 'picked', 'packed'];
/** One transaction holds at most 100 items. */
const MAX_TRANSACTION_ITEMS = 100;

function note(at: string, type: string, actor: Actor, message: string, data?: Record<string, unknown>): TimelineEntry {
  return { at, type, actor: actor.actor, message, ...(actor.correlationId ? { correlationId: actor.correlationId } : {}), ...(data ? { data } : {}) };
}

/** What the order costs before and after, and what happens to the difference. */
function moneyChange(order: Order, next: Order, payment: Payment | undefined): MoneyChange {
  const mode = paymentModeOf(order);
  const before = mode === 'provider' ? linesTotal(order) : order.totals.total;
  const after = mode === 'provider' ? linesTotal(next) : next.totals.total;
  const difference = after - before;
  const action: MoneyChange['action'] =
    mode === 'provider'
      ? payment
        ? 'captures_follow_lines'
        : 'authorize_on_confirmation'
      : mode === 'cash_on_delivery'
        ? 'collect_on_delivery'
        : difference < 0
          ? 'refund_at_channel'
          : difference > 0
            ? 'collect_at_channel'
            : 'none';
  return { currency: order.currency, before, after, difference, mode, action };
}

function moneyText(money: MoneyChange, channelId: string): string {
  const fmt = (amount: number) => formatMoney(amount, money.currency);
  const total = `Total ${fmt(money.before)} → ${fmt(money.after)}`;
  switch (money.action) {
    case 'captures_follow_lines':
      return `${total}; captures follow the remaining lines, so at most ${fmt(money.after)} is captured.`;
    case 'authorize_on_confirmation':
      return `${total}; the payment is authorized for the new total when it is confirmed.`;
    case 'collect_on_delivery':
      return `${total}; the carrier collects the new total.`;
    case 'refund_at_channel':
      return `${total}; ${fmt(-money.difference)} to be refunded at ${channelId}.`;
    case 'collect_at_channel':
      return `${total}; ${fmt(money.difference)} more to collect at ${channelId}.`;
    default:
      return `${total}.`;
  }
}

/** A provider payment's figure follows the order's lines; one whose remaining lines were all captured is complete. */
function paymentAfter(payment: Payment | undefined, money: MoneyChange, at: string): { next: Payment; expectedVersion: number } | undefined {
  if (!payment || payment.mode !== 'provider' || !['authorized', 'partially_captured'].includes(payment.status) || money.difference === 0) return undefined;
  const status = payment.captured > 0 && payment.captured >= money.after ? 'captured' : payment.status;
  return { next: { ...payment, amount: money.after, status, version: payment.version + 1, updatedAt: at }, expectedVersion: payment.version };
}

function cancelledParcel(parcel: Fulfillment, reason: string, at: string): Fulfillment {
  return { ...parcel, status: 'cancelled', reason, version: parcel.version + 1, updatedAt: at };
}

function parcelNotes(parcels: readonly Fulfillment[], reason: string, at: string, actor: Actor): TimelineEntry[] {
  return parcels.map((f) =>
    note(at, 'fulfillment_cancelled', actor, `Fulfillment ${f.fulfillmentId} at ${f.locationId} cancelled: ${reason}.${f.carrier ? ` Label ${f.carrier.trackingNumber} voided.` : ''}`, {
      fulfillmentId: f.fulfillmentId,
    }),
  );
}

function parcelEvents(parcels: readonly Fulfillment[], reason: string, orderStatus: OrderStatus, context: { occurredAt: Date } & Actor): OutboxEvent[] {
  return parcels.map((f) =>
    FulfillmentStatusChanged.create({ fulfillmentId: f.fulfillmentId, orderId: f.orderId, locationId: f.locationId, status: 'cancelled', previousStatus: f.status, reason, orderStatus }, context),
  );
}

const releaseChange = (a: { sku: string; locationId: string; shard: number }, quantity: number): PositionChange => ({
  sku: a.sku,
  locationId: a.locationId,
  shard: a.shard,
  onHandDelta: 0,
  reservedDelta: -quantity,
  safetyStockDelta: 0,
  requires: { reservedAtLeast: quantity, exists: true },
  type: 'release',
});

const reserveChange = (a: { sku: string; locationId: string; shard: number }, quantity: number): PositionChange => ({
  sku: a.sku,
  locationId: a.locationId,
  shard: a.shard,
  onHandDelta: 0,
  reservedDelta: quantity,
  safetyStockDelta: 0,
  requires: { availableAtLeast: quantity, exists: true },
  type: 'reservation',
});

/** Units per SKU the order's lines still need (what they ask for, less what shipped). */
function unshippedDemand(lines: readonly { sku: string; quantity: number }[], sold: ReadonlyMap<string, number>): Map<string, number> {
  const wanted = unitsPerSku(lines);
  for (const [sku, units] of sold) wanted.set(sku, Math.max(0, (wanted.get(sku) ?? 0) - units));
  return wanted;
}

function checkSize(count: number): void {
  if (count > MAX_TRANSACTION_ITEMS) {
    throw new ConflictError(`This change touches ${count} items; one change can touch at most ${MAX_TRANSACTION_ITEMS}. Split it into smaller changes.`, 'change_too_large');
  }
}

/**
 * `POST /v1/orders/{orderId}/cancel` with `lines`: cancels those units
 * only. Their stock goes back to available in the same transaction
 * (units waiting for stock simply stop waiting), fulfillments not yet
 * accepted that held them are cancelled (their other units get a new
 * fulfillment), and the money follows: captures of a provider payment
 * follow the remaining lines, a channel-paid order owes the customer the
 * difference (`refund_at_channel`). Cancelling every unit that is left
 * cancels the order (OrderCancelled), as without `lines`.
 */
export async function cancelOrderLines(
  deps: OrderChangeDeps,
  command: { orderId: string; reason: string; lines: NonNullable<CancelLinesInput['lines']> } & Actor,
): Promise<{ order: Order; change?: OrderChangeSet }> {
  const { cancelled: parcelsCancelled, ...result } = await retryOnConflict(async (): Promise<{ order: Order; change?: OrderChangeSet; cancelled: Fulfillment[] }> => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (order.status === 'cancelled') throw new ConflictError(`Order ${order.orderId} is cancelled`, 'order_cancelled');
    if (ALL_SHIPPED.includes(order.status)) {
      throw new ConflictError(`Order ${order.orderId} is ${order.status}: no unit is left to cancel`, 'already_shipped', command.lines.map((_, index) => ({ in: 'body' as const, path: `lines.${index}`, message: 'Already shipped' })));
    }
    const [reservation, parcels, payment] = await Promise.all([deps.inventory.reservation(order.orderId), deps.fulfillments.forOrder(order.orderId), deps.fulfillments.payment(order.orderId)]);
    const active = reservation?.status === 'active' ? reservation : undefined;
    const sold = unitsPerSku(reservation?.sold ?? []);
    const { lines, changes } = resolveCancellation(order, sold, command.lines);
    const shipped = shippedPerLine(lines, sold);
    const unshippedLeft = lines.reduce((sum, l) => sum + l.quantity - (shipped.get(l.lineId) ?? 0), 0);
    const anythingShipped = [...sold.values()].some((units) => units > 0);
    // Nothing shipped and nothing left: that is cancelling the order.
    if (!anythingShipped && unshippedLeft === 0) return { order: await cancelOrder(deps, { orderId: order.orderId, reason: command.reason, actor: command.actor, correlationId: command.correlationId }), cancelled: [] };

    const located = active ? await locate(deps.inventory, active.allocations) : [];
    const delta = stockDelta(unshippedDemand(lines, sold), located, active?.backordered ?? []);
    const open = parcels.filter((f) => OPEN_FULFILLMENT.includes(f.status));
    const plan = planRelease(located, open, delta.release);
    if (plan.blocked.length > 0) {
      throw new ConflictError(
        `Some of these units are in fulfillments their location has already accepted; the location must reject them first, or cancel the whole order`,
        'fulfillment_in_progress',
        plan.blocked.map((b) => ({
          in: 'body' as const,
          path: 'lines',
          message: `${b.quantity} × ${b.sku} are held by ${b.fulfillmentIds.map((id) => `${id} (${parcels.find((p) => p.fulfillmentId === id)?.status})`).join(', ')}`,
          code: 'fulfillment_in_progress',
        })),
      );
    }
    const now = deps.clock.now();
    const at = now.toISOString();
    const heldAfter = subtractAllocations(located, plan.released);
    const cancelled = open.filter((f) => plan.cancelled.includes(f.fulfillmentId));
    const openAfter = open.filter((f) => !plan.cancelled.includes(f.fulfillmentId));
    const left = parcels.filter((f) => LEFT_LOCATION.includes(f.status));

    let status: OrderStatus = order.status;
    let hold = order.hold;
    if (unshippedLeft === 0) {
      const soldUnits = [...sold.values()].reduce((a, b) => a + b, 0);
      const delivered = left.filter(isDelivered).reduce((sum, f) => sum + f.lines.reduce((s, l) => s + l.quantity, 0), 0);
      status = delivered >= soldUnits ? 'delivered' : 'shipped';
    } else if ((order.status === 'routed' || order.status === 'fulfilling') && openAfter.length === 0 && left.length === 0) {
      status = heldAfter.length > 0 ? 'reserved' : delta.backordered.length > 0 ? 'backordered' : order.status;
    } else if (order.status === 'backordered' && active && delta.backordered.length === 0) {
      status = 'reserved';
    } else if (order.status === 'on_hold' && order.hold && REPLAN_HOLDS.includes(order.hold.reason)) {
      // Fewer lines may now be served: routed again (the OrderLinesCancelled rule reserves orders back to received).
      status = 'received';
      hold = undefined;
    }
    const refulfill = Boolean(active) && ['reserved', 'routed', 'fulfilling', 'partially_shipped'].includes(status) && unassignedUnits(heldAfter, openAfter) > 0;
    const next: Order = { ...withLines(order, lines), status, version: order.version + 1, updatedAt: at };
    if (hold) next.hold = hold;
    else delete next.hold;
    const money = moneyChange(order, next, payment);
    const change: OrderChangeSet = {
      changeId: `${order.orderId}:v${next.version}`,
      reason: command.reason,
      lines: changes,
      released: plan.released,
      reserved: [],
      backorderCancelled: delta.backorderCancelled,
      rerouted: false,
      fulfillmentsCancelled: plan.cancelled,
      refulfill,
      money,
    };
    const record: Reservation | undefined = active && {
      ...active,
      allocations: heldAfter,
      backordered: delta.backordered,
      status: heldAfter.length === 0 && delta.backordered.length === 0 && unshippedLeft === 0 ? 'sold' : 'active',
      version: active.version + 1,
      updatedAt: at,
    };
    const context = { occurredAt: now, ...actorOf(command) };
    const released = plan.released.map((a) => `${a.quantity} × ${a.sku} at ${a.locationId}`).join(', ');
    const entries = [
      note(
        at,
        'lines_cancelled',
        command,
        `Cancelled ${describeLineChanges(changes)}: ${command.reason}.${released ? ` Released ${released}.` : ''}${change.backorderCancelled.length ? ` No longer waiting for ${change.backorderCancelled.map((b) => `${b.quantity} × ${b.sku}`).join(', ')}.` : ''} ${moneyText(money, order.channel.channelId)}`,
        { change },
      ),
      ...parcelNotes(cancelled, `units cancelled (${command.reason})`, at, command),
    ];
    const events = [OrderLinesCancelled.create({ ...eventOrder(next), orderId: order.orderId, change: eventChangeSet(change) }, context), ...parcelEvents(cancelled, `units cancelled (${command.reason})`, status, context)];
    const waitingRemoved = delta.backorderCancelled.filter((b) => !delta.backordered.some((w) => w.sku === b.sku)).map((b) => ({ sku: b.sku, placedAt: order.channelCreatedAt, orderId: order.orderId }));
    const paymentWrite = paymentAfter(payment, money, at);
    checkSize(2 * plan.released.length + 3 + Math.ceil(next.lines.length / 50) + 1 + entries.length + events.length + cancelled.length + waitingRemoved.length);
    // Stock taken meanwhile, or the order moved: the commit throws and the helper runs the step again on fresh state.
    await deps.inventory.commit({
      changes: plan.released.map((a) => releaseChange(a, a.quantity)),
      ledgerId: `cancel-lines:${order.orderId}:${next.version}`,
      actor: command.actor,
      at,
      reason: command.reason,
      reference: order.orderId,
      ...(record && active ? { reservation: { record, expectedVersion: active.version } } : {}),
      order: { next, expectedVersion: order.version, previousLineCount: order.lines.length },
      ...(paymentWrite ? { payment: paymentWrite } : {}),
      fulfillments: cancelled.map((f) => ({ record: cancelledParcel(f, `units cancelled: ${command.reason}`, at), expectedVersion: f.version })),
      timeline: { orderId: order.orderId, entries },
      waiting: { remove: waitingRemoved },
      events,
    });
    return { order: next, change, cancelled };
  }, { attempts: STOCK_TRANSACTION_ATTEMPTS, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing while its lines were being cancelled`) });
  // Labels are voided once the change committed, outside the step that is run again on a lost race.
  await voidLabels(deps, parcelsCancelled);
  return result;
}

async function voidLabels(deps: Pick<OrderChangeDeps, 'carriers'>, parcels: readonly Fulfillment[]): Promise<void> {
  for (const parcel of parcels) if (parcel.carrier) await deps.carriers.voidLabel(parcel.carrier.carrierId, parcel.carrier.trackingNumber, parcel.carrier.shipmentId);
}

/** The locations holding each SKU, as a comparable key. */
function footprint(allocations: readonly Allocation[]): string {
  const bySku = new Map<string, Set<string>>();
  for (const a of allocations) bySku.set(a.sku, (bySku.get(a.sku) ?? new Set()).add(a.locationId));
  return JSON.stringify([...bySku].map(([sku, at]) => [sku, [...at].sort()]).sort());
}

/**
 * `PATCH /v1/orders/{orderId}` with `If-Match: "<version>"`: one change set
 * — shipping address, lines added or removed, quantities — applied before
 * any location starts on the order. The stock delta is reserved and
 * released in ONE transaction with the order (each added unit under an
 * `available >= q` condition; units the order holds are never let go
 * unless the change commits). A new address that makes other locations the
 * best moves the reservation there in the same transaction; fulfillments
 * not yet accepted whose parcel changes (all of them when the address
 * changes: their labels name the old one) are cancelled and re-made by the
 * fulfillOrder workflow.
 */
export async function editOrder(
  deps: OrderChangeDeps,
  command: { orderId: string; input: OrderEditInput; ifMatch: number } & Actor,
): Promise<{ outcome: 'edited' | 'unchanged'; order: Order; change?: OrderChangeSet }> {
  const random = deps.random ?? Math.random;
  const { cancelled: parcelsCancelled, ...result } = await retryOnConflict(async (): Promise<{ outcome: 'edited' | 'unchanged'; order: Order; change?: OrderChangeSet; cancelled: Fulfillment[] }> => {
    const order = await deps.orders.get(command.orderId);
    if (!order) throw new NotFoundError(`Order ${command.orderId} does not exist`);
    if (order.version !== command.ifMatch) throw new PreconditionFailedError(`Order ${order.orderId} is at version ${order.version}, not ${command.ifMatch}: read it again and decide`);
    if (order.status === 'cancelled') throw new ConflictError(`Order ${order.orderId} is cancelled`, 'order_cancelled');
    const [reservation, parcels, payment] = await Promise.all([deps.inventory.reservation(order.orderId), deps.fulfillments.forOrder(order.orderId), deps.fulfillments.payment(order.orderId)]);
    assertEditable(order, parcels, reservation);
    const { input } = command;
    if (input.shippingAddress && order.fulfillment.type !== 'ship') {
      throw new ValidationError(`Order ${order.orderId} is a ${order.fulfillment.type} order: it has no shipping address to change`, [
        { in: 'body', path: 'shippingAddress', message: `A ${order.fulfillment.type} order is collected at ${order.fulfillment.locationId}` },
      ]);
    }
    const { lines, changes } = input.lines ? applyLineEdits(order, input.lines) : { lines: order.lines, changes: [] as LineChange[] };
    const address = input.shippingAddress ? { ...input.shippingAddress } : undefined;
    const addressChanged = address !== undefined && canonicalJson(address) !== canonicalJson(order.shippingAddress ?? null);
    if (changes.length === 0 && !addressChanged) return { outcome: 'unchanged', order, cancelled: [] };

    const now = deps.clock.now();
    const at = now.toISOString();
    const edited: Order = { ...withLines(order, lines), ...(addressChanged && address ? { shippingAddress: address } : {}) };
    const money = moneyChange(order, edited, payment);
    if (money.mode === 'provider' && money.difference > 0 && (payment || order.status === 'reserved' || order.status === 'routed')) {
      throw new ConflictError(
        `Order ${order.orderId} is paid by card: ${formatMoney(payment?.authorized ?? money.before, order.currency)} authorized, and this edit would make it ${formatMoney(money.after, order.currency)}. The OMS does not take a further authorization; place a new order for the extra items, or lower the edit`,
        'payment_increase_refused',
        [{ in: 'body', path: 'lines', message: `Raises the total by ${formatMoney(money.difference, order.currency)}` }],
      );
    }

    const active = reservation?.status === 'active' ? reservation : undefined;
    const located = active ? await locate(deps.inventory, active.allocations) : [];
    const delta = stockDelta(unitsPerSku(lines), located, active?.backordered ?? []);
    const open = parcels.filter((f) => OPEN_FULFILLMENT.includes(f.status));
    const plan = planRelease(located, open, delta.release, addressChanged ? new Set(open.map((f) => f.fulfillmentId)) : new Set());
    let heldAfter = subtractAllocations(located, plan.released);
    let released = plan.released;
    let reserved: Allocation[] = [];
    let decision: RoutingDecision | undefined;
    let rerouted = false;
    if (active && (delta.reserve.size > 0 || (addressChanged && order.fulfillment.type === 'ship'))) {
      const skus = [...new Set([...lines.map((l) => l.sku), ...located.map((a) => a.sku)])];
      const [stocks, locations, ruleSet] = await Promise.all([deps.inventory.positionsOf(skus), deps.activeLocations(), deps.ruleSetFor(order.channel.channelId)]);
      const positions = new Map([...stocks].map(([sku, stock]) => [sku, stock.positions]));
      const exclude = active.excludedLocationIds ?? [];
      if (addressChanged) {
        // Where would the order go from the new address, counting the units it holds as its own?
        const own = new Map(heldAfter.map((a) => [`${a.sku}#${a.locationId}#${a.shard}`, a.quantity]));
        const withOwn = new Map([...positions].map(([sku, list]) => [sku, list.map((p): StockPosition => ({ ...p, available: p.available + (own.get(`${sku}#${p.locationId}#${p.shard}`) ?? 0) }))]));
        const waiting = unitsPerSku(delta.backordered);
        const demand: Need[] = [...unitsPerSku(lines)].map(([sku, quantity]) => ({ sku, quantity: quantity - (waiting.get(sku) ?? 0) })).filter((n) => n.quantity > 0);
        const candidate = route({ fulfillment: edited.fulfillment, destination: edited.shippingAddress, demand, excludeLocationIds: exclude }, { ruleSet, locations, stock: withOwn, now });
        const target = candidate.outcome === 'held' ? undefined : allocateShipments(candidate.shipments, withOwn, random);
        if (target && target.shortages.length === 0 && candidate.shortages.length === 0 && footprint(target.allocations) !== footprint(mergeAllocations([...heldAfter]))) {
          rerouted = true;
          decision = candidate;
          reserved = target.allocations;
          released = located;
          heldAfter = [];
        }
      }
      if (!rerouted && delta.reserve.size > 0) {
        const extra: Need[] = [...delta.reserve].map(([sku, quantity]) => ({ sku, quantity }));
        const extraDecision = route({ fulfillment: edited.fulfillment, destination: edited.shippingAddress, demand: extra, excludeLocationIds: exclude }, { ruleSet, locations, stock: positions, now });
        const extraPlan = extraDecision.outcome === 'held' ? { allocations: [], shortages: extra } : allocateShipments(extraDecision.shipments, positions, random);
        const short = unitsPerSku([...extraDecision.shortages, ...extraPlan.shortages]);
        if (short.size > 0) throw insufficientStock(order, input, short, positions);
        reserved = extraPlan.allocations;
      }
    } else if (!active && delta.reserve.size > 0 && order.status !== 'received') {
      throw new ConflictError(`Order ${order.orderId} holds no reservation to add to`, 'not_reserved');
    }

    const cancelled = rerouted || addressChanged ? open : open.filter((f) => plan.cancelled.includes(f.fulfillmentId));
    const cancelledIds = cancelled.map((f) => f.fulfillmentId);
    const openAfter = open.filter((f) => !cancelledIds.includes(f.fulfillmentId));
    const held = mergeAllocations([...heldAfter, ...reserved]);
    let status: OrderStatus = order.status;
    if (order.status === 'routed' && openAfter.length === 0) status = 'reserved';
    if (order.status === 'backordered' && delta.backordered.length === 0) status = 'reserved';
    const refulfill = Boolean(active) && (status === 'reserved' || status === 'routed') && unassignedUnits(held, openAfter) > 0;
    const next: Order = { ...edited, status, version: order.version + 1, updatedAt: at };
    const net = netPositions(reserved, released);
    const change: OrderChangeSet = {
      changeId: `${order.orderId}:v${next.version}`,
      reason: input.reason,
      lines: changes,
      ...(addressChanged && address ? { shippingAddress: { ...(order.shippingAddress ? { before: { ...order.shippingAddress } } : {}), after: address } } : {}),
      released: net.filter((p) => p.delta < 0).map((p) => ({ sku: p.sku, locationId: p.locationId, shard: p.shard, quantity: -p.delta })),
      reserved: net.filter((p) => p.delta > 0).map((p) => ({ sku: p.sku, locationId: p.locationId, shard: p.shard, quantity: p.delta })),
      backorderCancelled: delta.backorderCancelled,
      rerouted,
      fulfillmentsCancelled: cancelledIds,
      refulfill,
      money,
    };
    const record: Reservation | undefined = active && {
      ...active,
      allocations: held,
      backordered: delta.backordered,
      ...(decision ? { routing: decision } : {}),
      version: active.version + 1,
      updatedAt: at,
    };
    const context = { occurredAt: now, ...actorOf(command) };
    const what = [
      changes.length ? describeLineChanges(changes) : '',
      addressChanged && address ? `shipping address → ${[...address.lines, address.postalCode, address.city, address.country].filter(Boolean).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const moved = [
      change.reserved.length ? `Reserved ${change.reserved.map((a) => `${a.quantity} × ${a.sku} at ${a.locationId}`).join(', ')}.` : '',
      change.released.length ? `Released ${change.released.map((a) => `${a.quantity} × ${a.sku} at ${a.locationId}`).join(', ')}.` : '',
      rerouted && decision ? `Re-routed for the new address. ${explainDecision(decision)}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const reason = `order edited (${input.reason})`;
    const entries = [
      note(at, 'order_edited', command, `Edited: ${what}: ${input.reason}.${moved ? ` ${moved}` : ''} ${moneyText(money, order.channel.channelId)}`, { change, previousVersion: order.version }),
      ...parcelNotes(cancelled, reason, at, command),
    ];
    const events = [OrderEdited.create({ ...eventOrder(next), orderId: order.orderId, previousVersion: order.version, change: eventChangeSet(change) }, context), ...parcelEvents(cancelled, reason, status, context)];
    const waitingRemoved = delta.backorderCancelled.filter((b) => !delta.backordered.some((w) => w.sku === b.sku)).map((b) => ({ sku: b.sku, placedAt: order.channelCreatedAt, orderId: order.orderId }));
    const paymentWrite = paymentAfter(payment, money, at);
    checkSize(2 * net.length + 3 + 2 * Math.ceil(Math.max(next.lines.length, order.lines.length) / 50) + entries.length + events.length + cancelled.length + waitingRemoved.length);
    // Stock taken meanwhile, or the order moved (then If-Match answers on the next read): the commit throws and the helper runs the step again.
    await deps.inventory.commit({
      changes: net.map((p) => (p.delta > 0 ? reserveChange(p, p.delta) : releaseChange(p, -p.delta))),
      ledgerId: `edit:${order.orderId}:${next.version}`,
      actor: command.actor,
      at,
      reason: input.reason,
      reference: order.orderId,
      ...(record && active ? { reservation: { record, expectedVersion: active.version } } : {}),
      order: { next, expectedVersion: order.version, previousLineCount: order.lines.length },
      ...(paymentWrite ? { payment: paymentWrite } : {}),
      fulfillments: cancelled.map((f) => ({ record: cancelledParcel(f, reason, at), expectedVersion: f.version })),
      timeline: { orderId: order.orderId, entries },
      waiting: { remove: waitingRemoved },
      events,
    });
    return { outcome: 'edited', order: next, change, cancelled };
  }, { attempts: STOCK_TRANSACTION_ATTEMPTS, retryOn: isInventoryConflict, exhausted: () => new ConcurrentModificationError(`Order ${command.orderId} kept changing while it was being edited`) });
  // Labels are voided once the change committed, outside the step that is run again on a lost race.
  await voidLabels(deps, parcelsCancelled);
  return result;
}

/** Edits are for orders no location has started: a shipped line or a fulfillment a location accepted blocks them (409 naming it). */
function assertEditable(order: Order, parcels: readonly Fulfillment[], reservation: Reservation | undefined): void {
  const blockers: ErrorDetail[] = [];
  for (const parcel of parcels) {
    if (STARTED.includes(parcel.status) || LEFT_LOCATION.includes(parcel.status)) {
      blockers.push({ path: 'fulfillments', message: `Fulfillment ${parcel.fulfillmentId} at ${parcel.locationId} is ${parcel.status}`, code: 'fulfillment_in_progress' });
    }
  }
  const sold = unitsPerSku(reservation?.sold ?? []);
  const shipped = shippedPerLine(order.lines, sold);
  for (const line of order.lines) {
    const units = shipped.get(line.lineId) ?? 0;
    if (units > 0) blockers.push({ path: 'lines', message: `Line ${line.lineId} (${line.sku}): ${units} of ${line.quantity} shipped`, code: 'already_shipped' });
  }
  if (blockers.length > 0) throw new ConflictError(`Order ${order.orderId} can no longer be edited: fulfillment has started`, 'not_editable', blockers);
  if (!EDITABLE.includes(order.status)) {
    const why = order.status === 'on_hold' ? `on hold (${order.hold?.reason ?? 'unknown'}): release or cancel it instead` : order.status;
    throw new ConflictError(`Order ${order.orderId} is ${why}; only orders received, reserved, backordered or routed can be edited`, 'not_editable', [
      { path: 'status', message: `The order is ${order.status}`, code: 'not_editable' },
    ]);
  }
}

/** 409 naming each short SKU and the line of the edit that asks for it. */
function insufficientStock(order: Order, input: OrderEditInput, short: ReadonlyMap<string, number>, positions: ReadonlyMap<string, readonly StockPosition[]>): ConflictError {
  const details: ErrorDetail[] = [...short].map(([sku, quantity]) => {
    const index = (input.lines ?? []).findIndex((l) => ('sku' in l ? l.sku : order.lines.find((o) => o.lineId === l.lineId)?.sku) === sku);
    const available = (positions.get(sku) ?? []).reduce((sum, p) => sum + Math.max(0, p.available), 0);
    return {
      in: 'body' as const,
      path: index >= 0 ? `lines.${index}` : 'lines',
      message: available === 0 && !(positions.get(sku) ?? []).length ? `${sku} is not stocked at any location` : `${quantity} more × ${sku} needed; not enough available where the order can ship from`,
      code: 'insufficient_stock',
    };
  });
  return new ConflictError(`Not enough stock for this edit (${[...short.keys()].join(', ')}); nothing was changed`, 'insufficient_stock', details);
}

/**
 * On OrderLinesCancelled and OrderEdited: a channel-paid order that now
 * costs less owes its customer the difference, recorded through the refunds
 * use case as a cancellation refund "to be refunded at the channel" (the
 * channel write-back sends it). The amount is the change's exact difference
 * (the lines' value before less after), not the shrunk lines' shares; the
 * change id is the refund key, so a redelivered event records it once.
 */
export async function refundOrderChange(
  deps: { issueRefund(command: RefundCommand): Promise<Refund>; payment?: ((orderId: string) => Promise<Payment | undefined>) | undefined },
  command: { orderId: string; change: OrderChangeSet } & Actor,
): Promise<{ outcome: 'recorded' | 'skipped'; refundId?: string; status?: Refund['status']; amount?: number }> {
  const { money } = command.change;
  if (money.difference >= 0) return { outcome: 'skipped' };
  if (money.action === 'captures_follow_lines') {
    // A provider that captures a card only once (Stripe without multicapture) took the whole order with its first parcel:
    // what it captured beyond the order's new total is given back. Otherwise captures follow the lines and nothing was taken for the units.
    const payment = await deps.payment?.(command.orderId);
    const excess = payment ? payment.captured - money.after : 0;
    if (excess <= 0) return { outcome: 'skipped' };
    const refund = await deps.issueRefund({
      orderId: command.orderId,
      key: `change:${command.change.changeId}`,
      kind: 'cancellation',
      reason: command.change.reason,
      amount: excess,
      capturedAhead: true,
      actor: command.actor,
      correlationId: command.correlationId,
    });
    return { outcome: 'recorded', refundId: refund.refundId, status: refund.status, amount: refund.amount };
  }
  if (money.action !== 'refund_at_channel') return { outcome: 'skipped' };
  const refund = await deps.issueRefund({
    orderId: command.orderId,
    key: `change:${command.change.changeId}`,
    kind: 'cancellation',
    reason: command.change.reason,
    amount: -money.difference,
    actor: command.actor,
    correlationId: command.correlationId,
  });
  return { outcome: 'recorded', refundId: refund.refundId, status: refund.status, amount: refund.amount };
}
