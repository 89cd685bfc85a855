import { inventoryRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getOrderReservation } from '#shared/use-cases/reservations.ts';

const deps = { inventory: inventoryRepository() };

export const handler = httpHandler(operations.getOrderReservation, async ({ params }) => ({ status: 200, body: await getOrderReservation(deps, params.orderId) }));
