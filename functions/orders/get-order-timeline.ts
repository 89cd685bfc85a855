import { orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getOrderTimeline } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository() };

export const handler = httpHandler(operations.getOrderTimeline, async ({ params, query }) => ({
  status: 200,
  body: await getOrderTimeline(deps, params.orderId, query),
}));
