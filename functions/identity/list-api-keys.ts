import { apiKeyRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { listApiKeys } from '#shared/use-cases/api-keys.ts';

const deps = { apiKeys: apiKeyRepository(), clock: systemClock };

export const handler = httpHandler(operations.listApiKeys, async ({ query }) => ({
  status: 200,
  body: await listApiKeys(deps, { limit: query.limit, cursor: query.cursor }),
}));
