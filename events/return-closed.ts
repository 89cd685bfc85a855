import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ReturnClosed = defineEvent({
  detailType: 'ReturnClosed',
  source: 'oms.orders',
  version: 1,
  description: 'A return ended: `settled` once its stock moved and its refund was issued, `expired` when nothing was sent back in time (its units can be returned again).',
  data: z.object({
    returnId: z.string(),
    orderId: z.string(),
    outcome: z.enum(['settled', 'expired']),
    refund: z.object({ refundId: z.string().optional(), amount: z.number().int().optional(), status: z.string().optional() }).optional(),
  }),
});
