import * as z from 'zod';
import { EventOrderChangeSet, EventOrderFields } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderEdited = defineEvent({
  detailType: 'OrderEdited',
  source: 'oms.orders',
  version: 2,
  description:
    'Operations edited an order before any location started on it: shipping address, lines added or removed, quantities. Carries the order as it is now (without personal data: EventOrder) and the change set: lines before and after, the address before and after (country, region and postal code), stock reserved and released (in the same transaction), whether it was re-routed, fulfillments cancelled for re-making (`refulfill`), and the money difference and what happens to it.',
  data: z.object({ ...EventOrderFields, orderId: z.string(), previousVersion: z.number().int().min(1), change: EventOrderChangeSet }),
});
