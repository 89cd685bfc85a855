import { routingDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { previewRouting } from '#shared/use-cases/routing.ts';

const deps = routingDeps();

export const handler = httpHandler(operations.previewRouting, async ({ body }) => ({ status: 200, body: await previewRouting(deps, body) }));
