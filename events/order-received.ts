import * as z from 'zod';
import { EventOrderFields } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderReceived = defineEvent({
  detailType: 'OrderReceived',
  source: 'oms.orders',
  version: 2,
  description: 'A new order was captured from a channel (once per channel order). Carries the canonical order without personal data (EventOrder: customer id, addresses reduced to country, region and postal code); read names and addresses with GET /v1/orders/{orderId}.',
  data: z.object({ ...EventOrderFields }),
});
