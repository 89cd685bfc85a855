import * as z from 'zod';
import { EventOrderFields } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderCancelled = defineEvent({
  detailType: 'OrderCancelled',
  source: 'oms.orders',
  version: 2,
  description: 'An order was cancelled (at the channel, or in the OMS). Stock it held is released by inventory. Carries the order without personal data (EventOrder: customer id, addresses reduced to country, region and postal code; read names and addresses with GET /v1/orders/{orderId}).',
  data: z.object({ ...EventOrderFields, reason: z.string() }),
});
