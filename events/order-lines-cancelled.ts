import * as z from 'zod';
import { EventOrderChangeSet, EventOrderFields } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderLinesCancelled = defineEvent({
  detailType: 'OrderLinesCancelled',
  source: 'oms.orders',
  version: 2,
  description:
    'Some units of an order were cancelled before they shipped (the rest goes on). Carries the order as it is now (without personal data: EventOrder) and the change set: lines and quantities cancelled, stock released, units that no longer wait for stock, fulfillments cancelled (`refulfill`: the remaining units get new ones), and the money (`money.action`: captures follow the remaining lines, or the channel refunds the difference). Cancelling every unit left is OrderCancelled.',
  data: z.object({ ...EventOrderFields, orderId: z.string(), change: EventOrderChangeSet }),
});
