import { exchangeDeps } from '#shared/adapters/dependencies.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { storeCreditsOf } from '#shared/use-cases/exchanges.ts';

const deps = exchangeDeps();

export const handler = httpHandler(operations.listStoreCredits, async ({ query }) => ({ status: 200, body: { items: await storeCreditsOf(deps, query.email) } }));
