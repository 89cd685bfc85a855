import * as z from 'zod';
import { defineEvent } from './define.ts';

export const FulfillmentCreated = defineEvent({
  detailType: 'FulfillmentCreated',
  source: 'oms.fulfillment',
  version: 1,
  description: 'A location has units of an order to ship (its WMS picks this up); it must accept before `acceptBy`.',
  data: z.object({
    fulfillmentId: z.string(),
    orderId: z.string(),
    locationId: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
    acceptBy: z.string(),
    carrier: z
      .object({ carrierId: z.string(), serviceLevel: z.string(), trackingNumber: z.string(), rate: z.number().int(), currency: z.string(), estimatedDelivery: z.string() })
      .optional(),
  }),
});
