import { exchangeDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { resolveClaim } from '#shared/use-cases/exchanges.ts';

const deps = exchangeDeps();

export const handler = httpHandler(operations.resolveClaim, async ({ params, body, correlationId, principal }) => ({
  status: 200,
  body: await resolveClaim(deps, { orderId: params.orderId, claimId: params.claimId, input: body, actor: principal.id, correlationId }),
}));
