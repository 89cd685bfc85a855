import * as z from 'zod';
import { OrderStatus } from '#shared/domain/order.ts';
import { defineEvent } from './define.ts';

export const OrderReleased = defineEvent({
  detailType: 'OrderReleased',
  source: 'oms.orders',
  version: 1,
  description:
    'A hold ended: a person released it (POST /v1/orders/{orderId}/release), or its `until` passed. `released: hold` — a hold by a person or a routing rule; `released: money_review` — a person took a channel order\'s amounts as they are. `resumes` is what the order does next: `fulfillment` (its reserved units go to their locations: the fulfillOrder workflow runs), `reservation` (it is reserved now), `none` (it waits where it stands, e.g. for stock).',
  data: z.object({
    orderId: z.string(),
    orderStatus: OrderStatus,
    released: z.enum(['hold', 'money_review']),
    reason: z.string().meta({ description: 'The reason of the hold that ended (`fraud_review`, `high_value`, …, or `money_review`).' }),
    releasedBy: z.discriminatedUnion('type', [z.object({ type: z.literal('person'), name: z.string() }), z.object({ type: z.literal('schedule') }), z.object({ type: z.literal('return'), returnId: z.string() })]).meta({ description: '`return`: an exchange\'s replacement order, released when its return was received.' }),
    note: z.string().optional(),
    resumes: z.enum(['fulfillment', 'reservation', 'none']),
  }),
});
