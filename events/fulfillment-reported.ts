import * as z from 'zod';
import { FulfillmentEventInput } from '#shared/domain/fulfillment.ts';
import { WMS_SOURCE_PREFIX } from '#shared/domain/wms.ts';
import { defineEvent, type EventDefinition, type EventPattern } from './define.ts';

const Data = z.object({ fulfillmentId: z.string(), report: FulfillmentEventInput });

/**
 * Inbound: a warehouse system reports progress on a fulfillment by putting
 * this event on the OMS bus with its own source `wms.<wmsId>` instead of
 * calling `POST /v1/fulfillments/{id}/events`. Same reports, same rules; a
 * WMS may report for its own locations only (docs/security.md).
 */
const defined = defineEvent({
  detailType: 'FulfillmentReported',
  source: 'wms.<wmsId>',
  version: 1,
  description:
    'Sent by a WMS to the OMS bus with its own source wms.<wmsId>: progress on a fulfillment at one of that WMS\'s locations (accepted, rejected with reason, picked, packed, shipped with carrier and tracking), applied exactly like POST /v1/fulfillments/{id}/events.',
  data: Data,
});

export const FulfillmentReported: EventDefinition<typeof Data> = {
  ...defined,
  /** Every WMS's source: `wms.` followed by its id. */
  pattern(narrow?: Record<string, unknown>): EventPattern {
    return { ...defined.pattern(narrow), source: [{ prefix: WMS_SOURCE_PREFIX }] };
  },
};
