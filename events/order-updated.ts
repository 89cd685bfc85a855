import * as z from 'zod';
import { EventOrder } from './order-payload.ts';
import { defineEvent } from './define.ts';

export const OrderUpdated = defineEvent({
  detailType: 'OrderUpdated',
  source: 'oms.orders',
  version: 1,
  description: 'A channel changed an order and the OMS applied it (fields listed in `changed`; refused changes in `refused`).',
  data: z.object({ ...EventOrder, changed: z.array(z.string()), refused: z.array(z.string()) }),
});
