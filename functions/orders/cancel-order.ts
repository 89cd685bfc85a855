import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { authorizeOrder } from '#shared/use-cases/authorization.ts';
import { cancelOrderLines } from '#shared/use-cases/order-changes.ts';
import { assertOrderId } from '#shared/use-cases/orders.ts';
import { cancelOrder } from '#shared/use-cases/reservations.ts';

const deps = fulfillmentDeps();

/** Without `lines` the whole order is cancelled; with them, only those units. */
export const handler = httpHandler(operations.cancelOrder, async ({ params, body, correlationId, principal }) => {
  assertOrderId(params.orderId);
  await authorizeOrder(deps, principal, params.orderId);
  const command = { orderId: params.orderId, reason: body.reason, actor: principal.id, correlationId };
  const order = body.lines ? (await cancelOrderLines(deps, { ...command, lines: body.lines })).order : await cancelOrder(deps, command);
  return { status: 200, body: order };
});
