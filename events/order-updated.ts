import * as z from 'zod';
import { EventOrderFields } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderUpdated = defineEvent({
  detailType: 'OrderUpdated',
  source: 'oms.orders',
  version: 2,
  description: 'A channel changed an order and the OMS applied it (fields listed in `changed`; refused changes in `refused`). Carries the order without personal data (EventOrder: customer id, addresses reduced to country, region and postal code; read names and addresses with GET /v1/orders/{orderId}).',
  data: z.object({ ...EventOrderFields, changed: z.array(z.string()), refused: z.array(z.string()) }),
});
