import * as z from 'zod';
import { EventOrder } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderCancelled = defineEvent({
  detailType: 'OrderCancelled',
  source: 'oms.orders',
  version: 1,
  description: 'An order was cancelled (at the channel, or in the OMS). Stock it held is released by inventory.',
  data: z.object({ ...EventOrder, reason: z.string() }),
});
