import * as z from 'zod';
import { defineEvent } from './define.ts';

export const ReturnReceived = defineEvent({
  detailType: 'ReturnReceived',
  source: 'oms.orders',
  version: 1,
  description: "A location checked a returned parcel in, with each line's condition: resellable units are restocked, damaged ones written off, then the return is refunded and closed.",
  data: z.object({
    returnId: z.string(),
    orderId: z.string(),
    locationId: z.string(),
    resolution: z.enum(['refund', 'exchange', 'store_credit']),
    lines: z.array(z.object({ lineId: z.string(), sku: z.string(), quantity: z.number().int().min(1), reason: z.string(), condition: z.enum(['resellable', 'damaged', 'missing']) })),
  }),
});
