import { documentStore, fulfillmentRepository } from '#shared/adapters/dependencies.ts';
import { etag, httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { getFulfillment } from '#shared/use-cases/fulfillment.ts';

const deps = { fulfillments: fulfillmentRepository(), documents: documentStore() };

export const handler = httpHandler(operations.getFulfillment, async ({ params }) => {
  const fulfillment = await getFulfillment(deps, params.fulfillmentId);
  return { status: 200, body: fulfillment, headers: etag(fulfillment.version) };
});
