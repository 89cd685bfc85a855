import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ShipmentTrackingUpdated = defineEvent({
  detailType: 'ShipmentTrackingUpdated',
  source: 'oms.fulfillment',
  version: 1,
  description: 'The carrier reported a parcel in transit, out for delivery or in exception (delivery is ShipmentDelivered).',
  data: z.object({
    shipmentId: z.string(),
    orderId: z.string(),
    carrierId: z.string(),
    trackingNumber: z.string(),
    status: z.enum(['in_transit', 'out_for_delivery', 'exception']),
    description: z.string().optional(),
    occurredAt: z.string(),
    orderStatus: z.string(),
  }),
});
