import * as z from 'zod';
import { Allocation } from '#shared/domain/reservation.ts';
import { defineEvent } from './define.ts';

export const StockReserved = defineEvent({
  detailType: 'StockReserved',
  source: 'oms.inventory',
  version: 1,
  description: 'Stock was reserved for an order (all of it, or part of it with the rest backordered). `allocations` are this reservation\'s new units.',
  data: z.object({
    orderId: z.string(),
    status: z.enum(['reserved', 'backordered']),
    allocations: z.array(Allocation),
    backordered: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  }),
});
