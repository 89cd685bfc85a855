import * as z from 'zod';
import { EventOrder } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderReceived = defineEvent({
  detailType: 'OrderReceived',
  source: 'oms.orders',
  version: 1,
  description: 'A new order was captured from a channel (once per channel order). Carries the whole canonical order.',
  data: z.object({ ...EventOrder }),
});
