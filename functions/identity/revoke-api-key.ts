import { apiKeyRepository } from '#shared/adapters/dependencies.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { forgetApiKey } from '#shared/http/auth.ts';
import { httpHandler } from '#shared/http/handler.ts';
import { operations } from '#shared/http/operations.ts';
import { revokeApiKey } from '#shared/use-cases/api-keys.ts';

const deps = { apiKeys: apiKeyRepository(), clock: systemClock };

export const handler = httpHandler(operations.revokeApiKey, async ({ params, principal }) => {
  const key = await revokeApiKey(deps, { keyId: params.keyId, actor: principal.id });
  // This container refuses the key at once; others within their cache time (API_KEY_CACHE_MS).
  forgetApiKey(params.keyId);
  return { status: 200, body: key };
});
