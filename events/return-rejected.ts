import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ReturnRejected = defineEvent({
  detailType: 'ReturnRejected',
  source: 'oms.orders',
  version: 1,
  description: 'Staff rejected a return; its units can be requested again.',
  data: z.object({
    returnId: z.string(),
    orderId: z.string(),
    reason: z.string(),
  }),
});
