import { returnRepository } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listReturns } from '#shared/use-cases/returns.ts';

const deps = { returns: returnRepository() };

export const handler = httpHandler(operations.listReturns, async ({ query: { limit, cursor, ...filter } }) => ({
  status: 200,
  body: await listReturns(deps, filter, { limit, cursor }),
}));
