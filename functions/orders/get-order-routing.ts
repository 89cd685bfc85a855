import { inventoryRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getOrderRouting } from '#shared/use-cases/routing.ts';

const deps = { inventory: inventoryRepository(), orders: orderRepository() };

export const handler = httpHandler(operations.getOrderRouting, async ({ params }) => ({ status: 200, body: await getOrderRouting(deps, params.orderId) }));
