import { channelSyncActionRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listOrders } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository(), channelSync: channelSyncActionRepository() };

export const handler = httpHandler(operations.listOrders, async ({ query: { limit, cursor, ...filter } }) => ({
  status: 200,
  body: await listOrders(deps, filter, { limit, cursor }),
}));
