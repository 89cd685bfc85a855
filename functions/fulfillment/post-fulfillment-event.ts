import { fulfillmentDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { applyFulfillmentEvent } from '#shared/use-cases/fulfillment.ts';

const deps = fulfillmentDeps();

export const handler = httpHandler(operations.postFulfillmentEvent, async ({ params, body, correlationId }) => ({
  status: 200,
  body: await applyFulfillmentEvent(deps, { fulfillmentId: params.fulfillmentId, event: body, actor: 'location', correlationId }),
}));
