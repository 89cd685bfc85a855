import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ShipmentDelivered = defineEvent({
  detailType: 'ShipmentDelivered',
  source: 'oms.fulfillment',
  version: 1,
  description:
    'The carrier delivered a parcel (or the customer collected a pickup); its fulfillment is now `delivered`. `orderStatus: delivered` once every unit of the order has been delivered.',
  data: z.object({
    shipmentId: z.string(),
    orderId: z.string(),
    carrierId: z.string(),
    trackingNumber: z.string(),
    deliveredAt: z.string().meta({ description: 'The fulfillment\'s `deliveredAt`: the scan\'s time, or the shipping time when the scan is dated before it (clock skew).' }),
    scannedAt: z.string().optional().meta({ description: 'The carrier\'s own time of the delivery scan, as it sent it.' }),
    orderStatus: z.string(),
  }),
});
