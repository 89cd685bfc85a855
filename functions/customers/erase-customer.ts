import { customerDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { eraseCustomer } from '#shared/use-cases/customers.ts';

const deps = customerDeps();

export const handler = httpHandler(operations.eraseCustomer, async ({ params, correlationId, principal }) => ({
  status: 200,
  body: await eraseCustomer(deps, { customerId: params.customerId, actor: principal.id, correlationId }),
}));
