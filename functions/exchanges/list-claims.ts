import { exchangeDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { claimsOfOrder } from '#shared/use-cases/exchanges.ts';

const deps = exchangeDeps();

export const handler = httpHandler(operations.listClaims, async ({ params }) => ({ status: 200, body: { items: await claimsOfOrder(deps, params.orderId) } }));
