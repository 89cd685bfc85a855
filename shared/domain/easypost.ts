import type { TrackingStatus } from './fulfillment.ts';

/**
 * EasyPost's words in the OMS's: carrier ids and tracker statuses. EasyPost
 * is a platform over many carriers; each carrier account linked to it is an
 * OMS carrier `easypost-<carrier>` (a Slug, so routing rules and return
 * policies can name it as a fixed carrier).
 */

/** The OMS carrier id of an EasyPost carrier: `easypost-` and its name in lower case (USPS → `easypost-usps`). */
export function easypostCarrierId(carrier: string): string {
  return `easypost-${carrier.toLowerCase().replace(/[^a-z0-9_-]/g, '_')}`.slice(0, 64);
}

export const EASYPOST_TRACKER_STATUSES = [
  'unknown',
  'pre_transit',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'available_for_pickup',
  'return_to_sender',
  'failure',
  'cancelled',
  'error',
] as const;
export type EasyPostTrackerStatus = (typeof EASYPOST_TRACKER_STATUSES)[number];

/**
 * EasyPost's Tracker `status` → the OMS's tracking status; undefined: the
 * status moves nothing (`unknown`, `pre_transit`: label printed, not yet with
 * the carrier — the location reports the parcel shipped; `cancelled`: the
 * label was voided).
 */
export const EASYPOST_STATUS_MAP: Record<EasyPostTrackerStatus, Exclude<TrackingStatus, 'label_created'> | undefined> = {
  unknown: undefined,
  pre_transit: undefined,
  in_transit: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  available_for_pickup: 'out_for_delivery',
  delivered: 'delivered',
  return_to_sender: 'exception',
  failure: 'exception',
  error: 'exception',
  cancelled: undefined,
};

