import { fulfillmentRepository, orderHoldRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { holdOrder } from '#shared/use-cases/holds.ts';

const deps = { orders: orderRepository(), holds: orderHoldRepository(), fulfillments: fulfillmentRepository(), clock: systemClock };

export const handler = httpHandler(operations.holdOrder, async ({ params, body, headers, correlationId }) => {
  const order = await holdOrder(deps, { orderId: params.orderId, input: body, ifMatch: ifMatchVersion(headers), correlationId });
  return { status: 200, body: order, headers: etag(order.version) };
});
