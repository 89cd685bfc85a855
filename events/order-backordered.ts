import * as z from 'zod';
import { defineEvent } from './define.ts';

export const OrderBackordered = defineEvent({
  detailType: 'OrderBackordered',
  source: 'oms.inventory',
  version: 1,
  description:
    'An order could not be fully reserved. `held: false`: what there was is reserved and the rest waits for stock (backorder allowed). `held: true`: nothing is reserved and the order is on hold (backorder not allowed). Receipts serve waiting orders oldest first.',
  data: z.object({
    orderId: z.string(),
    held: z.boolean(),
    shortages: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
  }),
});
