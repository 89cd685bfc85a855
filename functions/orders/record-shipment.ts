import { inventoryRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { recordShipment } from '#shared/use-cases/reservations.ts';
import { assertOrderId } from '#shared/use-cases/orders.ts';

const deps = { orders: orderRepository(), inventory: inventoryRepository(), clock: systemClock };

export const handler = httpHandler(operations.recordShipment, async ({ params, body, correlationId }) => {
  assertOrderId(params.orderId);
  return { status: 201, body: await recordShipment(deps, { orderId: params.orderId, ...body, actor: 'api', correlationId }) };
});
