import { customerDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { exportCustomer } from '#shared/use-cases/customers.ts';

const deps = customerDeps();

export const handler = httpHandler(operations.exportCustomer, async ({ params }) => ({ status: 200, body: await exportCustomer(deps, params.customerId) }));
