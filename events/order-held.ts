import * as z from 'zod';
import { OrderHold } from '#shared/domain/order-hold.ts';
import { OrderStatus } from '#shared/domain/order.ts';
import { defineEvent } from './define.ts';

export const OrderHeld = defineEvent({
  detailType: 'OrderHeld',
  source: 'oms.orders',
  version: 1,
  description:
    'A person (POST /v1/orders/{orderId}/hold) or a routing rule set\'s hold rule (high value, billing/shipping country mismatch) held the order for review. The order keeps or still gets its stock (`orderStatus`) but is not handed to a location until OrderReleased. `hold.placedBy` says who, `hold.reason` and `hold.note` why, `hold.until` when it ends by itself.',
  data: z.object({
    orderId: z.string(),
    orderStatus: OrderStatus,
    hold: OrderHold,
  }),
});
