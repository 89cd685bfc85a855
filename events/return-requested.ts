import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ReturnRequested = defineEvent({
  detailType: 'ReturnRequested',
  source: 'oms.orders',
  version: 1,
  description: 'A customer asked to return shipped units of an order (RMA). `status` is `approved` when the policy approves it at once, else `requested` (staff approve or reject it).',
  data: z.object({
    returnId: z.string(),
    orderId: z.string(),
    channelId: z.string(),
    status: z.enum(['requested', 'approved']),
    needsApproval: z.boolean(),
    resolution: z.enum(['refund', 'exchange', 'store_credit']),
    receivingLocationId: z.string(),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1), reason: z.string() })),
    policy: z.object({ policyId: z.string(), version: z.number().int() }),
  }),
});
