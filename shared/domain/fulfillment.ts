import * as z from 'zod';
import { Timestamp } from './common.ts';
import { Allocation } from './reservation.ts';

/**
 * A fulfillment is the part of an order one location ships: its lines, the
 * positions they are reserved at, the carrier label bought for it, and its
 * progress as the location reports it (accepted → picked → packed →
 * shipped) and then as the carrier tracks the parcel, until the carrier's
 * delivery scan (or the store's handover of a pickup) makes it `delivered`.
 * One fulfillment is one parcel, so its id is also the shipment id.
 */

export const FulfillmentId = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}-F\d{1,3}$/, 'A fulfillment id is <orderId>-F<n>')
  .meta({ example: '01JB8Z3Q4W5E6R7T8Y9U0I1O2P-F1' });

export const FulfillmentStatus = z.enum(['created', 'accepted', 'picked', 'packed', 'shipped', 'delivered', 'rejected', 'timed_out', 'cancelled']).meta({
  description:
    'The location reports `accepted`, `picked`, `packed`, `shipped` (or `rejected`); `timed_out` and `cancelled` are the OMS\'s. `delivered` follows `shipped` when the carrier scans the parcel delivered, or the store hands a pickup over.',
});
export type FulfillmentStatus = z.infer<typeof FulfillmentStatus>;

export const TrackingStatus = z.enum(['label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'lost']);
export type TrackingStatus = z.infer<typeof TrackingStatus>;

export const OPEN_FULFILLMENT: readonly FulfillmentStatus[] = ['created', 'accepted', 'picked', 'packed'];
/** Statuses of a parcel that has left its location: its units are sold, and the carrier tracks it. */
export const LEFT_LOCATION: readonly FulfillmentStatus[] = ['shipped', 'delivered'];

export const CarrierLabel = z
  .object({
    carrierId: z.string(),
    serviceLevel: z.string(),
    rate: z.number().int().meta({ description: 'What the label cost, minor units of `currency`.' }),
    currency: z.string(),
    estimatedDelivery: Timestamp,
    trackingNumber: z.string(),
    trackingUrl: z.string(),
    labelFormat: z.enum(['ZPL', 'PDF']),
    label: z
      .string()
      .optional()
      .meta({
        description:
          'The label document (ZPL text, or base64 PDF), as the API answers it: read from the document store by `labelRef`. Not stored in the fulfillment (deprecated there: only fulfillments labelled before the document store hold it inline).',
      }),
    labelRef: z.string().optional().meta({ description: 'Where the label document is stored (S3 on AWS, `.oms/documents` locally): `labels/<orderId>/<fulfillmentId>.<zpl|pdf>`.' }),
    weightGrams: z.number().int(),
    zone: z.number().int(),
    shipmentId: z.string().optional().meta({ description: 'The carrier platform\'s shipment of this label (EasyPost `shp_…`): the label is refunded through it when voided.' }),
  })
  .meta({ id: 'CarrierLabel' });
export type CarrierLabel = z.infer<typeof CarrierLabel>;

export const Fulfillment = z
  .object({
    fulfillmentId: z.string(),
    orderId: z.string(),
    locationId: z.string(),
    status: FulfillmentStatus,
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
    allocations: z.array(Allocation).meta({ description: 'The reserved positions these lines hold.' }),
    acceptBy: Timestamp.meta({ description: 'The location must accept before this, or the lines are re-routed.' }),
    carrier: CarrierLabel.optional(),
    reason: z.string().optional().meta({ description: 'Why the location rejected it, or why it was cancelled.' }),
    tracking: z
      .object({
        status: TrackingStatus,
        updatedAt: Timestamp,
        events: z.array(
          z.object({
            status: TrackingStatus,
            at: Timestamp,
            description: z.string().optional(),
            location: z.string().optional(),
            ignored: z
              .string()
              .optional()
              .meta({ description: 'Why this update did not move the parcel: it was dated before the parcel\'s label existed, or too far in the future. Kept, never applied.' }),
          }),
        ),
      })
      .optional(),
    shippedAt: Timestamp.optional(),
    reroutedAt: Timestamp.optional().meta({ description: 'When the lines of a rejected or timed-out fulfillment were routed again.' }),
    deliveredAt: Timestamp.optional().meta({
      description:
        'When the parcel was delivered (or the pickup collected). Never before `shippedAt`: a delivery scan dated earlier (the carrier\'s and the location\'s clocks disagree) is recorded at `shippedAt`; the carrier\'s own time stays in `tracking.events`.',
    }),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Fulfillment' });
export type Fulfillment = z.infer<typeof Fulfillment>;

/** What a location (or its WMS) reports. */
export const FulfillmentEventInput = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('accepted') }),
    z.strictObject({ type: z.literal('rejected'), reason: z.string().min(1).max(500) }),
    z.strictObject({ type: z.literal('picked') }),
    z.strictObject({ type: z.literal('packed') }),
    z.strictObject({
      type: z.literal('shipped'),
      carrierId: z.string().min(1).max(64).optional().meta({ description: 'Only when the location shipped with another carrier than the label bought.' }),
      trackingNumber: z.string().min(1).max(100).optional(),
    }),
  ])
  .meta({ id: 'FulfillmentEventInput' });
export type FulfillmentEventInput = z.infer<typeof FulfillmentEventInput>;

const NEXT: Record<FulfillmentStatus, readonly FulfillmentStatus[]> = {
  created: ['accepted', 'picked', 'packed', 'shipped', 'rejected', 'timed_out', 'cancelled'],
  accepted: ['picked', 'packed', 'shipped', 'rejected', 'cancelled'],
  picked: ['packed', 'shipped', 'rejected', 'cancelled'],
  packed: ['shipped', 'rejected', 'cancelled'],
  // Only a carrier's delivery scan or a store's handover moves a parcel on; a location cannot report it.
  shipped: ['delivered'],
  delivered: [],
  rejected: [],
  timed_out: [],
  cancelled: [],
};

/**
 * `unchanged` for a repeat of the current status (a retried report), `invalid` for a step back or out of a final status.
 * A location's `shipped` repeated after the parcel was delivered is still a retried report, not a step back.
 */
export function transition(current: FulfillmentStatus, next: FulfillmentStatus): 'apply' | 'unchanged' | 'invalid' {
  if (current === next || (current === 'delivered' && next === 'shipped')) return 'unchanged';
  return NEXT[current].includes(next) ? 'apply' : 'invalid';
}

const TRACKING_ORDER: Record<TrackingStatus, number> = { label_created: 0, in_transit: 1, out_for_delivery: 2, exception: 2, lost: 2, delivered: 3 };

/** A carrier's `exception` or `lost`: the parcel is in trouble (the order is `exception`, and a claim is opened for staff). */
export const TROUBLE: readonly TrackingStatus[] = ['exception', 'lost'];

/** Carriers deliver tracking updates out of order; a stale one is kept in the history but does not move the status back. */
export function trackingAdvances(current: TrackingStatus | undefined, next: TrackingStatus): boolean {
  if (current === undefined) return true;
  if (current === 'delivered') return false;
  if (TROUBLE.includes(next) || TROUBLE.includes(current)) return true;
  return TRACKING_ORDER[next] > TRACKING_ORDER[current];
}

/**
 * Whether the parcel was delivered. Fulfillments delivered before the
 * `delivered` status existed kept `status: shipped`; their tracking says it.
 */
export function isDelivered(fulfillment: Pick<Fulfillment, 'status' | 'tracking'>): boolean {
  return fulfillment.status === 'delivered' || (fulfillment.status === 'shipped' && fulfillment.tracking?.status === 'delivered');
}

/**
 * The fulfillment's `deliveredAt` for a delivery scanned at `scannedAt`: a
 * parcel cannot arrive before it left, so a scan dated before `shippedAt`
 * (clock skew between carrier and location) is recorded at `shippedAt`.
 */
export function deliveryTime(shippedAt: string | undefined, scannedAt: string): { deliveredAt: string; adjusted: boolean } {
  if (shippedAt && Date.parse(scannedAt) < Date.parse(shippedAt)) return { deliveredAt: shippedAt, adjusted: true };
  return { deliveredAt: scannedAt, adjusted: false };
}

/** How long before its label a carrier's update may be dated and still count (the carrier's and the OMS's clocks disagree). */
export const TRACKING_LABEL_SKEW_MINUTES = 15;
/** How far ahead of the OMS's clock a carrier's update may be dated and still count. */
export const TRACKING_MAX_AHEAD_MINUTES = 60;

/**
 * Why a carrier's update cannot be about this parcel, or undefined when it
 * can. A parcel is only tracked once its label exists, and the label is
 * bought with the fulfillment (a location that shipped with a label of its
 * own made it later still), so an update dated more than
 * `TRACKING_LABEL_SKEW_MINUTES` before the fulfillment was created is about
 * something else — a tracking number's earlier life, a replay; one dated more
 * than `TRACKING_MAX_AHEAD_MINUTES` after now is a broken clock or time zone.
 * Either is kept in the parcel's history, marked with this reason, and moves
 * nothing. Within the skew, a delivery dated before the parcel shipped is
 * still clamped to `shippedAt` by `deliveryTime`.
 */
export function trackingOutOfRange(parcel: Pick<Fulfillment, 'createdAt'>, occurredAt: string, now: Date): string | undefined {
  const at = Date.parse(occurredAt);
  if (at < Date.parse(parcel.createdAt) - TRACKING_LABEL_SKEW_MINUTES * 60_000) {
    return `dated ${occurredAt}, before the parcel's label was created (${parcel.createdAt})`;
  }
  if (at > now.getTime() + TRACKING_MAX_AHEAD_MINUTES * 60_000) {
    return `dated ${occurredAt}, in the future (more than ${TRACKING_MAX_AHEAD_MINUTES} minutes after ${now.toISOString()})`;
  }
  return undefined;
}

export function fulfillmentIdOf(orderId: string, n: number): string {
  return `${orderId}-F${n}`;
}

export function orderIdOfFulfillment(fulfillmentId: string): string {
  return fulfillmentId.replace(/-F\d+$/, '');
}

/** A carrier's tracking update, as its webhook sends it. */
export const TrackingUpdateInput = z
  .strictObject({
    trackingNumber: z.string().min(1).max(100),
    status: z.enum(['in_transit', 'out_for_delivery', 'delivered', 'exception', 'lost']).meta({
      description:
        'The parcel\'s state in the carrier\'s words, normalized: `exception` (EasyPost `failure`, `error`, `return_to_sender`), `lost` (the carrier declared it lost). Either makes the order `exception` and opens one claim for staff to review.',
    }),
    occurredAt: z.iso.datetime(),
    description: z.string().max(500).optional(),
    location: z.string().max(200).optional(),
  })
  .meta({ id: 'TrackingUpdateInput' });
