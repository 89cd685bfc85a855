import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ReturnApproved = defineEvent({
  detailType: 'ReturnApproved',
  source: 'oms.orders',
  version: 1,
  description: 'A return was approved (by its policy or by staff): a return label is bought and e-mailed to the customer, who has until `receiveBy` to send the parcel.',
  data: z.object({
    returnId: z.string(),
    orderId: z.string(),
    approvedBy: z.enum(['policy', 'staff']),
    receivingLocationId: z.string(),
    receiveBy: z.string(),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1), reason: z.string() })),
    resolution: z.enum(['refund', 'exchange', 'store_credit']).optional().meta({ description: 'What the customer asked for (`exchange`: its replacement order is created now, rule ReturnApprovedCreatesExchange).' }),
  }),
});
