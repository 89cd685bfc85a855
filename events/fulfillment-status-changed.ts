import * as z from 'zod';
import { defineEvent } from './define.ts';

export const FulfillmentStatusChanged = defineEvent({
  detailType: 'FulfillmentStatusChanged',
  source: 'oms.fulfillment',
  version: 1,
  description:
    'A location reported progress on a fulfillment (accepted, picked, packed), rejected it, did not accept it in time (timed_out), or it was cancelled with its order. `rejected` and `timed_out` re-route its lines. A fulfillment becoming `shipped` is `ShipmentShipped`; becoming `delivered`, `ShipmentDelivered`.',
  data: z.object({
    fulfillmentId: z.string(),
    orderId: z.string(),
    locationId: z.string(),
    status: z.enum(['accepted', 'picked', 'packed', 'rejected', 'timed_out', 'cancelled']),
    previousStatus: z.string(),
    reason: z.string().optional(),
    orderStatus: z.string(),
  }),
});
