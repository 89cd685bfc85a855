import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { authorizeFulfillment } from '#shared/use-cases/authorization.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';
import { withLabelDocument } from '#shared/use-cases/label-documents.ts';

const deps = fulfillmentDeps();

export const handler = httpHandler(operations.postFulfillmentEvent, async ({ params, body, correlationId, principal }) => {
  await authorizeFulfillment(deps, principal, params.fulfillmentId);
  const result = await applyFulfillmentEvent(deps, { fulfillmentId: params.fulfillmentId, event: body, actor: principal.id, correlationId });
  return { status: 200, body: { ...result, fulfillment: await withLabelDocument(deps.documents, result.fulfillment) } };
});
