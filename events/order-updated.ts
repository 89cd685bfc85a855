import * as z from 'zod';
import { Order } from '#shared/domain/order.ts';
import { defineEvent } from './define.ts';

export const OrderUpdated = defineEvent({
  detailType: 'OrderUpdated',
  source: 'oms.orders',
  version: 1,
  description: 'A channel changed an order and the OMS applied it (fields listed in `changed`; refused changes in `refused`).',
  data: z.object({ order: Order, changed: z.array(z.string()), refused: z.array(z.string()) }),
});
