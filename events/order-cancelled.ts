import * as z from 'zod';
import { Order } from '#shared/domain/order.ts';
import { defineEvent } from './define.ts';

export const OrderCancelled = defineEvent({
  detailType: 'OrderCancelled',
  source: 'oms.orders',
  version: 1,
  description: 'An order was cancelled (at the channel, or in the OMS). Stock it held is released by inventory.',
  data: z.object({ order: Order, reason: z.string() }),
});
