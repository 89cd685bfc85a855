import { orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { assertOrderId } from '#shared/use-cases/orders.ts';
import { cancelOrder } from '#shared/use-cases/reservations.ts';

const deps = { orders: orderRepository(), clock: systemClock };

export const handler = httpHandler(operations.cancelOrder, async ({ params, body, correlationId }) => {
  assertOrderId(params.orderId);
  return { status: 200, body: await cancelOrder(deps, { orderId: params.orderId, reason: body.reason, actor: 'api', correlationId }) };
});
