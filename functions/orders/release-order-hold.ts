import { orderHoldRepository, orderRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { releaseOrderHold } from '#shared/use-cases/holds.ts';

const deps = { orders: orderRepository(), holds: orderHoldRepository(), clock: systemClock };

export const handler = httpHandler(operations.releaseOrderHold, async ({ params, body, headers, correlationId }) => {
  const order = await releaseOrderHold(deps, { orderId: params.orderId, input: body, ifMatch: ifMatchVersion(headers), correlationId });
  return { status: 200, body: order, headers: etag(order.version) };
});
