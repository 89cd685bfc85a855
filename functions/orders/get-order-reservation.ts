import { inventoryRepository } from '#shared/adapters/dependencies.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';

const inventory = inventoryRepository();

export const handler = httpHandler(operations.getOrderReservation, async ({ params }) => {
  const reservation = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(params.orderId) ? await inventory.reservation(params.orderId) : undefined;
  if (!reservation) throw new NotFoundError(`Order ${params.orderId} has no reservation`);
  return { status: 200, body: reservation };
});
