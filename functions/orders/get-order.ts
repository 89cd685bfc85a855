import { orderRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getOrder } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository() };

export const handler = httpHandler(operations.getOrder, async ({ params }) => {
  const order = await getOrder(deps, params.orderId);
  return { status: 200, body: order, headers: etag(order.version) };
});
