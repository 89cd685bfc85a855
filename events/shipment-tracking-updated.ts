import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ShipmentTrackingUpdated = defineEvent({
  detailType: 'ShipmentTrackingUpdated',
  source: 'oms.fulfillment',
  version: 1,
  description: 'The carrier reported a parcel in transit, out for delivery or in exception (delivery is ShipmentDelivered). A parcel the carrier declared lost is an exception with `lost: true`.',
  data: z.object({
    shipmentId: z.string(),
    orderId: z.string(),
    carrierId: z.string(),
    trackingNumber: z.string(),
    status: z.enum(['in_transit', 'out_for_delivery', 'exception']),
    description: z.string().optional(),
    lost: z.literal(true).optional().meta({ description: 'The carrier declared the parcel lost (published as `status: exception`, so consumers of version 1 see a status they know).' }),
    occurredAt: z.string(),
    orderStatus: z.string(),
  }),
});
