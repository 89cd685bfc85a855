import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { EASYPOST_STATUS_MAP, EASYPOST_TRACKER_STATUSES, easypostCarrierId, type EasyPostTrackerStatus } from '#shared/domain/easypost.ts';
import { NotFoundError, UnauthorizedError } from '#shared/domain/errors.ts';
import { parseJson } from '#shared/domain/json.ts';
import { validated } from '#shared/channels/deliveries.ts';
import type { CarrierRecordRepository } from '#shared/ports.ts';
import { recordTracking, type TrackingDeps } from './tracking.ts';

/**
 * EasyPost's tracker webhooks (`POST /webhooks/carriers/easypost`): EasyPost
 * signs every delivery with `X-Hmac-Signature: hmac-sha256-hex=<hex>`, the
 * HMAC-SHA256 of the raw body keyed with the UTF-8 bytes of the webhook
 * secret after Unicode NFKD normalisation. Nothing unsigned is parsed. A
 * `tracker.updated`/`tracker.created` event moves the shipment (or return
 * label) with that tracking number as the carrier webhook does; each event id
 * is handled once.
 */

const PROVIDER = 'easypost';
const SIGNATURE = /^hmac-sha256-hex=[0-9a-f]{64}$/;

/** The whole header value as EasyPost computes it for this body and secret. */
export function easypostSignature(rawBody: Buffer | string, secret: string): string {
  return `hmac-sha256-hex=${createHmac('sha256', Buffer.from(secret.normalize('NFKD'), 'utf8')).update(rawBody).digest('hex')}`;
}

/** Compares the whole header value in constant time (only its format is checked before). */
export function easypostSignatureMatches(rawBody: Buffer, secret: string | undefined, header: string | undefined): boolean {
  if (!secret || !header || !SIGNATURE.test(header)) return false;
  return timingSafeEqual(Buffer.from(header, 'utf8'), Buffer.from(easypostSignature(rawBody, secret), 'utf8'));
}

const TrackingLocation = z.object({ city: z.string().nullish(), state: z.string().nullish(), country: z.string().nullish(), zip: z.string().nullish() }).nullish();

const EasyPostEvent = z.object({
  id: z.string().min(1).max(100),
  description: z.string().max(100),
  result: z.unknown(),
});

const EasyPostTracker = z.object({
  object: z.literal('Tracker'),
  tracking_code: z.string().min(1).max(100),
  carrier: z.string().min(1).max(64),
  status: z.string().max(64),
  updated_at: z.string().nullish(),
  tracking_details: z
    .array(z.object({ status: z.string().nullish(), message: z.string().nullish(), datetime: z.string().nullish(), tracking_location: TrackingLocation }))
    .default([]),
});

export interface EasyPostWebhookReceipt {
  outcome: 'applied' | 'unchanged' | 'recorded' | 'duplicate' | 'ignored';
  eventId: string;
  shipmentId?: string;
  orderStatus?: string;
  /** Why nothing was applied (another event type, a status that moves nothing, a tracker the OMS did not buy), or why a `recorded` update moved nothing. */
  reason?: string;
}

export async function receiveEasyPostWebhook(
  deps: TrackingDeps & { records: Pick<CarrierRecordRepository, 'firstDelivery' | 'forgetDelivery'>; secret: () => Promise<string> },
  request: { rawBody: Buffer; signature: string | undefined },
): Promise<EasyPostWebhookReceipt> {
  if (!easypostSignatureMatches(request.rawBody, await deps.secret(), request.signature)) throw new UnauthorizedError('Missing or wrong X-Hmac-Signature');
  const event = validated(EasyPostEvent, parseJson(request.rawBody.toString('utf8')), 'The body is not an EasyPost event');
  if (!event.description.startsWith('tracker.')) return { outcome: 'ignored', eventId: event.id, reason: `event ${event.description} is not a tracker event` };
  const tracker = validated(EasyPostTracker, event.result, 'The event\'s result is not an EasyPost Tracker');
  const status = (EASYPOST_TRACKER_STATUSES as readonly string[]).includes(tracker.status) ? EASYPOST_STATUS_MAP[tracker.status as EasyPostTrackerStatus] : undefined;
  if (!status) return { outcome: 'ignored', eventId: event.id, reason: `tracker status ${tracker.status} moves nothing` };
  if (!(await deps.records.firstDelivery(PROVIDER, event.id))) return { outcome: 'duplicate', eventId: event.id };
  // The scan that gave the tracker its status: the latest detail with that status (EasyPost lists them oldest first).
  const detail = tracker.tracking_details.filter((d) => d.status === tracker.status && d.datetime && !Number.isNaN(Date.parse(d.datetime))).at(-1);
  const occurredAt = new Date(detail?.datetime ?? tracker.updated_at ?? Date.now()).toISOString();
  const where = detail?.tracking_location;
  const location = where ? [where.city, [where.state, where.zip].filter(Boolean).join(' '), where.country].filter(Boolean).join(', ') : '';
  try {
    const receipt = await recordTracking(deps, {
      carrierId: easypostCarrierId(tracker.carrier),
      trackingNumber: tracker.tracking_code,
      status,
      occurredAt,
      ...(detail?.message ? { description: detail.message.slice(0, 500) } : {}),
      ...(location ? { location: location.slice(0, 200) } : {}),
    });
    return { outcome: receipt.outcome, eventId: event.id, shipmentId: receipt.shipmentId, orderStatus: receipt.orderStatus, ...(receipt.ignored ? { reason: receipt.ignored } : {}) };
  } catch (error) {
    // Every tracker of the EasyPost account reports here: one the OMS did not buy is acknowledged, or EasyPost would retry it for a day.
    if (error instanceof NotFoundError) return { outcome: 'ignored', eventId: event.id, reason: error.message };
    // Not handled (e.g. 409: the location has not reported the parcel shipped yet): EasyPost's retry is handled afresh.
    await deps.records.forgetDelivery(PROVIDER, event.id);
    throw error;
  }
}
