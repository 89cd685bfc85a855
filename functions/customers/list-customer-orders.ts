import { customerDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { customerOrders } from '#shared/use-cases/customers.ts';

const deps = customerDeps();

export const handler = httpHandler(operations.listCustomerOrders, async ({ params, query }) => ({
  status: 200,
  body: await customerOrders(deps, params.customerId, { limit: query.limit, cursor: query.cursor }),
}));
