import { apiKeyRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { createApiKey } from '#shared/use-cases/api-keys.ts';

const deps = { apiKeys: apiKeyRepository(), clock: systemClock };

export const handler = httpHandler(operations.createApiKey, async ({ body, principal }) => ({
  status: 201,
  body: await createApiKey(deps, { input: body, actor: principal.id }),
  headers: { 'cache-control': 'no-store' },
}));
