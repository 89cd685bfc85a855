import * as z from 'zod';
import { Allocation } from '#shared/domain/reservation.ts';
import { defineEvent } from './define.ts';

export const StockReleased = defineEvent({
  detailType: 'StockReleased',
  source: 'oms.inventory',
  version: 1,
  description: 'An order\'s reserved stock went back to available (cancellation, an unpaid order whose reservation lapsed, or units re-routed away from a location that rejected them).',
  data: z.object({
    orderId: z.string(),
    reason: z.enum(['cancelled', 'payment_expired', 'rerouted']),
    allocations: z.array(Allocation),
  }),
});
