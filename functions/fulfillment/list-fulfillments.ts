import { documentStore, fulfillmentRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listFulfillments } from '#shared/use-cases/fulfillment.ts';

const deps = { fulfillments: fulfillmentRepository(), documents: documentStore() };

export const handler = httpHandler(operations.listFulfillments, async ({ query }) => ({ status: 200, body: await listFulfillments(deps, query) }));
