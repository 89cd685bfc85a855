import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler, ifMatchVersion } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { authorizeOrder } from '#shared/use-cases/authorization.ts';
import { editOrder } from '#shared/use-cases/order-changes.ts';
import { assertOrderId } from '#shared/use-cases/orders.ts';

const deps = fulfillmentDeps();

/** `PATCH /v1/orders/{orderId}`: one change set, at the version the caller read (If-Match). */
export const handler = httpHandler(operations.editOrder, async ({ params, body, headers, correlationId, principal }) => {
  assertOrderId(params.orderId);
  await authorizeOrder(deps, principal, params.orderId);
  const ifMatch = ifMatchVersion(headers) ?? 0;
  const result = await editOrder(deps, { orderId: params.orderId, input: body, ifMatch, actor: principal.id, correlationId });
  return { status: 200, body: result, headers: etag(result.order.version) };
});
