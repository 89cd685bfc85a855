import * as z from 'zod';
import { defineEvent } from './define.ts';

export const OrderRouted = defineEvent({
  detailType: 'OrderRouted',
  source: 'oms.fulfillment',
  version: 1,
  description:
    'Payment is confirmed and the order was handed to its locations: one fulfillment per location, each with its carrier label. Published again when re-routed lines get new fulfillments.',
  data: z.object({
    orderId: z.string(),
    orderStatus: z.string(),
    ruleSetId: z.string().optional(),
    ruleId: z.string().nullable().optional(),
    fulfillments: z.array(
      z.object({
        fulfillmentId: z.string(),
        locationId: z.string(),
        lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
        carrierId: z.string().optional(),
        serviceLevel: z.string().optional(),
        trackingNumber: z.string().optional(),
      }),
    ),
  }),
});
