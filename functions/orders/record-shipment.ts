import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { requireLocation } from '#shared/domain/identity.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { recordOrderShipment } from '#shared/use-cases/fulfillment.ts';
import { assertOrderId } from '#shared/use-cases/orders.ts';

const deps = fulfillmentDeps();

export const handler = httpHandler(operations.recordShipment, async ({ params, body, correlationId, principal }) => {
  assertOrderId(params.orderId);
  requireLocation(principal, body.locationId);
  return { status: 201, body: await recordOrderShipment(deps, { orderId: params.orderId, ...body, actor: principal.id, correlationId }) };
});
