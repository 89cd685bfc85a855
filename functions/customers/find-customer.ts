import { customerDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { findCustomer } from '#shared/use-cases/customers.ts';

const deps = customerDeps();

export const handler = httpHandler(operations.findCustomer, async ({ query }) => ({ status: 200, body: await findCustomer(deps, query.email) }));
