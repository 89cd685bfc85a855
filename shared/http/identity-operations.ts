import * as z from 'zod';
import { ApiKey, ApiKeyInput } from '#shared/domain/identity.ts';
import { defineOperation } from './operation.ts';

/** API keys (spread into shared/http/operations.ts); docs/security.md "Identities and scopes". */

const KeyId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'Expected a key id (the ULID between oms_ and the second _)').meta({ example: '01M8EJV774P67P6BX5MZSVEP9Q' });

export const identityOperations = {
  createApiKey: defineOperation({
    operationId: 'createApiKey',
    method: 'POST',
    path: '/v1/api-keys',
    auth: 'bearer',
    scope: 'admin',
    summary: 'Create an API key with scopes (and channel or location limits); the secret is shown once',
    description:
      'The answer holds `secret` (`oms_<keyId>_<random>`): send it as `Authorization: Bearer <secret>`. It is not stored (only its SHA-256) and cannot be shown again. `channels` needs the `orders:write` scope, `locations` the `fulfillment:report` scope. To rotate without downtime: create the new key, switch the client, then revoke the old one.',
    tags: ['Identity'],
    body: ApiKeyInput,
    responses: {
      201: {
        description: 'Created. The only time the secret is shown.',
        schema: z.object({ key: ApiKey, secret: z.string().meta({ description: 'The credential. Shown once.' }) }).meta({ id: 'CreatedApiKey' }),
      },
    },
    errors: [400, 401, 403, 422],
  }),
  listApiKeys: defineOperation({
    operationId: 'listApiKeys',
    method: 'GET',
    path: '/v1/api-keys',
    auth: 'bearer',
    scope: 'admin',
    summary: 'List API keys (never their secrets), active, expired and revoked',
    tags: ['Identity'],
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
      cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
    }),
    responses: { 200: { description: 'One page of keys, by id (oldest first).', schema: z.object({ items: z.array(ApiKey), nextCursor: z.string().optional() }).meta({ id: 'ApiKeyPage' }) } },
    errors: [401, 403, 422],
  }),
  revokeApiKey: defineOperation({
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: '/v1/api-keys/{keyId}',
    auth: 'bearer',
    scope: 'admin',
    summary: 'Revoke an API key: refused from now on (other containers within 30 seconds)',
    description: 'The record stays, `revoked` with who revoked it and when. Revoking a revoked key answers it unchanged.',
    tags: ['Identity'],
    params: z.object({ keyId: KeyId }),
    responses: { 200: { description: 'The revoked key.', schema: ApiKey } },
    errors: [401, 403, 404, 422],
  }),
};
