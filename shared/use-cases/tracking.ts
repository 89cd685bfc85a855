import { ShipmentDelivered } from '#events/shipment-delivered.ts';
import { ShipmentTrackingUpdated } from '#events/shipment-tracking-updated.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, ConflictError, NotFoundError, UnauthorizedError } from '#shared/domain/errors.ts';
import { validated } from '#shared/channels/deliveries.ts';
import { hmacHexMatches } from '#shared/channels/signatures.ts';
import { parseJson } from '#shared/domain/json.ts';
import {
  LEFT_LOCATION,
  OPEN_FULFILLMENT,
  TROUBLE,
  TrackingUpdateInput,
  deliveryTime,
  isDelivered,
  trackingAdvances,
  trackingOutOfRange,
  type Fulfillment,
  type TrackingStatus,
} from '#shared/domain/fulfillment.ts';
import type { Order, OrderStatus } from '#shared/domain/order.ts';
import { orderIdOfReturn } from '#shared/domain/return.ts';
import type { FulfillmentRepository, InventoryRepository, OrderRepository, ReturnRepository } from '#shared/ports.ts';
import { recordReturnTracking } from './returns.ts';
import { retryOnConflict } from './retry.ts';

export interface TrackingDeps {
  orders: Pick<OrderRepository, 'get'>;
  inventory: Pick<InventoryRepository, 'reservation'>;
  fulfillments: FulfillmentRepository;
  /** Return labels: their tracking numbers are filed like shipments', naming the return. */
  returns?: ReturnRepository;
  clock: Clock;
}

export interface TrackingUpdate {
  carrierId: string;
  trackingNumber: string;
  status: Exclude<TrackingStatus, 'label_created'>;
  occurredAt: string;
  description?: string | undefined;
  location?: string | undefined;
}

export interface TrackingReceipt {
  outcome: 'applied' | 'unchanged' | 'recorded';
  shipmentId: string;
  orderStatus: string;
  /** Why a recorded update was out of range (see `trackingOutOfRange`). */
  ignored?: string;
}

/**
 * A carrier's tracking update (webhook). Updates arrive late, twice, and out
 * of order: each is kept in the parcel's history, but only one that moves
 * the parcel forward changes its status (an exception always does). A
 * delivery makes the fulfillment `delivered` too, never earlier than it
 * shipped. An update dated before the parcel's label existed or far in the
 * future is kept in the history, marked ignored with the reason and said on
 * the timeline, and moves nothing. When every shipped parcel is delivered and
 * nothing is left to ship, the order is delivered.
 */
export async function recordTracking(deps: TrackingDeps, update: TrackingUpdate): Promise<TrackingReceipt> {
  const fulfillmentId = await deps.fulfillments.byTrackingNumber(update.carrierId, update.trackingNumber);
  if (!fulfillmentId) {
    // A return label's number: the scan is the customer's parcel on its way back.
    const returnId = await deps.returns?.byTrackingNumber(update.carrierId, update.trackingNumber);
    if (returnId && deps.returns) {
      const receipt = await recordReturnTracking({ returns: deps.returns, clock: deps.clock }, returnId, update);
      const order = await deps.orders.get(orderIdOfReturn(returnId) ?? '');
      return { outcome: receipt.outcome, shipmentId: returnId, orderStatus: order?.status ?? 'unknown' };
    }
    throw new NotFoundError(`No shipment with ${update.carrierId} tracking number ${update.trackingNumber}`);
  }
  return applyTracking(deps, fulfillmentId, update);
}

/**
 * `POST /webhooks/carriers/{carrierId}`: the signature first (401), then JSON
 * (400) and the schema (422) — nothing unsigned is even parsed — then the
 * update.
 */
export async function receiveCarrierWebhook(
  deps: TrackingDeps & { carrierIds: readonly string[]; secret: () => Promise<string> },
  request: { carrierId: string; rawBody: Buffer; signature: string | undefined },
) {
  if (!deps.carrierIds.includes(request.carrierId)) throw new NotFoundError(`Unknown carrier ${request.carrierId}`);
  if (!hmacHexMatches(request.rawBody, await deps.secret(), request.signature)) throw new UnauthorizedError('Missing or wrong X-Carrier-Signature');
  const update = validated(TrackingUpdateInput, parseJson(request.rawBody.toString('utf8')), 'The body is not a tracking update');
  return recordTracking(deps, { carrierId: request.carrierId, ...update });
}

/** A pickup handed over at the store is delivered: the same step as a carrier's delivery scan. */
export function recordHandover(deps: TrackingDeps, fulfillmentId: string, at: string) {
  return applyTracking(deps, fulfillmentId, { carrierId: 'pickup', trackingNumber: fulfillmentId, status: 'delivered', occurredAt: at, description: 'Collected by the customer at the store' });
}

async function applyTracking(deps: TrackingDeps, fulfillmentId: string, update: TrackingUpdate): Promise<TrackingReceipt> {
  return retryOnConflict(async () => {
    const fulfillment = await deps.fulfillments.get(fulfillmentId);
    if (!fulfillment) throw new NotFoundError(`No shipment with ${update.carrierId} tracking number ${update.trackingNumber}`);
    const order = await deps.orders.get(fulfillment.orderId);
    if (!order) throw new NotFoundError(`Order ${fulfillment.orderId} does not exist`);
    // A delivered parcel still takes updates: a repeat is answered `unchanged`, a late one is kept in the history.
    if (!LEFT_LOCATION.includes(fulfillment.status)) {
      throw new ConflictError(`Shipment ${fulfillmentId} has not been reported shipped by ${fulfillment.locationId} yet (it is ${fulfillment.status})`, 'not_shipped');
    }
    const history = fulfillment.tracking?.events ?? [];
    if (history.some((e) => e.status === update.status && e.at === update.occurredAt)) return { outcome: 'unchanged', shipmentId: fulfillmentId, orderStatus: order.status };
    const now = deps.clock.now();
    const at = now.toISOString();
    const ignored = trackingOutOfRange(fulfillment, update.occurredAt, now);
    const advances = !ignored && trackingAdvances(fulfillment.tracking?.status, update.status);
    const delivers = advances && update.status === 'delivered';
    const delivery = deliveryTime(fulfillment.shippedAt, update.occurredAt);
    // The history keeps the carrier's own time, even when the fulfillment's deliveredAt cannot use it.
    const tracking = {
      status: advances ? update.status : (fulfillment.tracking?.status ?? 'label_created'),
      updatedAt: advances ? at : (fulfillment.tracking?.updatedAt ?? at),
      events: [
        ...history,
        {
          status: update.status,
          at: update.occurredAt,
          ...(update.description ? { description: update.description } : {}),
          ...(update.location ? { location: update.location } : {}),
          ...(ignored ? { ignored } : {}),
        },
      ].slice(-30),
    };
    const next: Fulfillment = {
      ...fulfillment,
      ...(delivers ? { status: 'delivered' as const, deliveredAt: delivery.deliveredAt } : {}),
      tracking,
      version: fulfillment.version + 1,
      updatedAt: at,
    };
    const skew = delivers && delivery.adjusted ? ` The carrier dated the scan ${update.occurredAt}, before the parcel shipped (${delivery.deliveredAt}): recorded as delivered when it shipped.` : '';
    const orderStatus = advances ? await orderStatusAfter(deps, order, next) : order.status;
    const actor = `carrier:${update.carrierId}`;
    const context = { occurredAt: now, actor };
    const base = { shipmentId: fulfillmentId, orderId: order.orderId, carrierId: update.carrierId, trackingNumber: update.trackingNumber, orderStatus };
    await deps.fulfillments.update(next, fulfillment.version, {
      ...(orderStatus !== order.status ? { order: { next: { ...order, status: orderStatus, version: order.version + 1, updatedAt: at }, expectedVersion: order.version } } : {}),
      timeline: advances
        ? [
            {
              at,
              type: `shipment_${update.status}`,
              actor,
              message: `${update.carrierId} ${update.trackingNumber}: ${update.status.replaceAll('_', ' ')}${update.description ? ` — ${update.description}` : ''}${update.location ? ` (${update.location})` : ''}.${skew}${orderStatus !== order.status ? ` Order is ${orderStatus}.` : ''}`,
              data: { shipmentId: fulfillmentId, occurredAt: update.occurredAt, ...(delivers ? { deliveredAt: delivery.deliveredAt } : {}) },
            },
          ]
        : ignored
          ? [
              {
                at,
                type: 'shipment_update_ignored',
                actor,
                message: `${update.carrierId} ${update.trackingNumber}: ${update.status.replaceAll('_', ' ')} dated ${update.occurredAt} ignored — ${ignored}. Kept in the parcel's tracking history; the parcel stays ${tracking.status.replaceAll('_', ' ')}.`,
                data: { shipmentId: fulfillmentId, status: update.status, occurredAt: update.occurredAt, reason: ignored },
              },
            ]
          : [],
      events: !advances
        ? []
        : update.status === 'delivered'
          ? [ShipmentDelivered.create({ ...base, deliveredAt: delivery.deliveredAt, scannedAt: update.occurredAt }, context)]
          : [
              ShipmentTrackingUpdated.create(
                { ...base, status: update.status === 'lost' ? 'exception' : update.status, ...(update.status === 'lost' ? { lost: true as const } : {}), occurredAt: update.occurredAt, ...(update.description ? { description: update.description } : {}) },
                context,
              ),
            ],
    });
    return { outcome: advances ? 'applied' : 'recorded', shipmentId: fulfillmentId, orderStatus, ...(ignored ? { ignored } : {}) };
  }, { attempts: 5, exhausted: () => new ConcurrentModificationError(`Shipment ${fulfillmentId} kept changing`) });
}

/** The order's status once this parcel's tracking changed. */
async function orderStatusAfter(deps: TrackingDeps, order: Order, changed: Fulfillment): Promise<OrderStatus> {
  if (order.status === 'cancelled') return order.status;
  const all = (await deps.fulfillments.forOrder(order.orderId)).map((f) => (f.fulfillmentId === changed.fulfillmentId ? changed : f));
  const shipped = all.filter((f) => LEFT_LOCATION.includes(f.status));
  if (shipped.some((f) => f.tracking && TROUBLE.includes(f.tracking.status))) return 'exception';
  const reservation = await deps.inventory.reservation(order.orderId);
  const everythingShipped = !!reservation && reservation.allocations.length === 0 && reservation.backordered.length === 0 && !all.some((f) => OPEN_FULFILLMENT.includes(f.status));
  if (everythingShipped && shipped.length > 0 && shipped.every(isDelivered)) return 'delivered';
  if (order.status === 'exception') return everythingShipped ? 'shipped' : 'partially_shipped';
  return order.status;
}
