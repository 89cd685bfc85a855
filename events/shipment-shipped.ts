import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ShipmentShipped = defineEvent({
  detailType: 'ShipmentShipped',
  source: 'oms.fulfillment',
  version: 1,
  description: 'Units of an order left a location; their reservation became a sale.',
  data: z.object({
    orderId: z.string(),
    shipmentId: z.string(),
    locationId: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
    carrier: z.string().optional(),
    trackingNumber: z.string().optional(),
    orderStatus: z.enum(['partially_shipped', 'shipped']),
  }),
});
