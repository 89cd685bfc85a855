import * as z from 'zod';
import { defineEvent } from './define.ts';

export const OrderBackordered = defineEvent({
  detailType: 'OrderBackordered',
  source: 'oms.inventory',
  version: 1,
  description:
    'An order could not be fully reserved. `held: false`: what there was is reserved and the rest waits for stock (backorder allowed). `held: true`: nothing is reserved and the order is on hold — `reason: out_of_stock` (backorder not allowed; receipts serve waiting orders oldest first) `too_large` (more stock positions than one reservation can hold; a person splits the order), `routing_review` (a routing rule holds orders it cannot fully allocate) or `pickup_unavailable` (the pickup store cannot serve the order).',
  data: z.object({
    orderId: z.string(),
    held: z.boolean(),
    reason: z.enum(['out_of_stock', 'too_large', 'routing_review', 'pickup_unavailable']).default('out_of_stock'),
    shortages: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
  }),
});
