import * as z from 'zod';
import { FulfillmentEventInput } from '#shared/domain/fulfillment.ts';
import { defineEvent } from './define.ts';

/**
 * Inbound: a warehouse system reports progress on a fulfillment by putting
 * this event on the OMS bus (source `wms`) instead of calling
 * `POST /v1/fulfillments/{id}/events`. Same reports, same rules.
 */
export const FulfillmentReported = defineEvent({
  detailType: 'FulfillmentReported',
  source: 'wms',
  version: 1,
  description:
    'Sent by a WMS to the OMS bus: progress on a fulfillment (accepted, rejected with reason, picked, packed, shipped with carrier and tracking), applied exactly like POST /v1/fulfillments/{id}/events.',
  data: z.object({ fulfillmentId: z.string(), report: FulfillmentEventInput }),
});
