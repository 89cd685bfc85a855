import { orderRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getChannelOrder } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository() };

export const handler = httpHandler(operations.getChannelOrder, async ({ params }) => {
  const order = await getChannelOrder(deps, params.channelId, params.externalOrderId);
  return { status: 200, body: order, headers: etag(order.version) };
});
