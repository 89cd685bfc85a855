import { orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getOrderSources } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository() };

export const handler = httpHandler(operations.getOrderSource, async ({ params, query }) => ({
  status: 200,
  body: await getOrderSources(deps, params.orderId, query),
}));
