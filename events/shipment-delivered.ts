import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ShipmentDelivered = defineEvent({
  detailType: 'ShipmentDelivered',
  source: 'oms.fulfillment',
  version: 1,
  description: 'The carrier delivered a parcel. `orderStatus: delivered` once every unit of the order has been delivered.',
  data: z.object({
    shipmentId: z.string(),
    orderId: z.string(),
    carrierId: z.string(),
    trackingNumber: z.string(),
    deliveredAt: z.string(),
    orderStatus: z.string(),
  }),
});
